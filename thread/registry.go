package thread

import (
	"sync"
	"weak"
)

// The registry of pools, for Pools. Weak pointers: a pool nobody holds any
// more is not kept alive by being listed.
var (
	poolsMu sync.Mutex
	pools   []weak.Pointer[Pool]
)

func registerPool(p *Pool) {
	poolsMu.Lock()
	pools = append(pools, weak.Make(p))
	poolsMu.Unlock()
}

// Pools returns the process's pools that are not shut down, in the order
// they were made, for inspection tools (Python has no counterpart: its
// executors are not enumerable). Safe from any goroutine.
func Pools() []*Pool {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	out := make([]*Pool, 0, len(pools))
	kept := pools[:0]
	for _, w := range pools {
		p := w.Value()
		if p == nil || p.Stats().Closed {
			continue
		}
		kept = append(kept, w)
		out = append(out, p)
	}
	clear(pools[len(kept):])
	pools = kept
	return out
}

// Name returns the pool's name: its workers' name prefix (WithNamePrefix,
// else "Pool-N").
func (p *Pool) Name() string { return p.prefix }
