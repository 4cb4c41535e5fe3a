package thread

import "github.com/duet-go/duet/internal/weakreg"

// pools lists the process's pools, for Pools.
var pools weakreg.List[Pool]

func registerPool(p *Pool) { pools.Add(p) }

// Pools returns the process's pools that are not shut down, in the order
// they were made, for inspection tools (Python has no counterpart: its
// executors are not enumerable). A pool dropped without Shutdown is not
// kept alive by being listed. Safe from any goroutine.
func Pools() []*Pool {
	return pools.All(func(p *Pool) bool { return !p.Stats().Closed })
}

// Name returns the pool's name: its workers' name prefix (WithNamePrefix,
// else "Pool-N").
func (p *Pool) Name() string { return p.prefix }
