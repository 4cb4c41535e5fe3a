package inspect

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/duet-go/duet/internal/stacks"
	"github.com/duet-go/duet/thread"
)

// The pool rule of the advisor: a pool whose busy workers are found
// waiting (in I/O, a sleep, a lock, a channel) in at least ioShare of at
// least minPoolSamples samples holds threads to wait, which loop tasks do
// without one each. Samples come from one dump of every goroutine's stack
// per Monitor interval, taken only while a watched pool has busy workers
// and the process has at most maxDumpGoroutines goroutines (a dump costs
// time in proportion).
const (
	ioShare           = 0.8
	minPoolSamples    = 20
	maxDumpGoroutines = 10_000
)

// poolWatch accumulates the samples of one pool's busy workers.
type poolWatch struct {
	name    string
	busy    int            // worker samples that found a task running
	waiting int            // of which the worker's goroutine was blocked
	states  map[string]int // blocked states seen, for evidence
}

type poolAdvisor struct {
	mu    sync.Mutex
	pools map[*thread.Pool]*poolWatch
}

// sample takes one dump and counts each watched pool's busy workers as
// computing or waiting.
func (pa *poolAdvisor) sample(pools []*thread.Pool) {
	pa.mu.Lock()
	for p := range pa.pools {
		if !slices.Contains(pools, p) {
			delete(pa.pools, p) // shut down: forget it, and do not keep it alive
		}
	}
	pa.mu.Unlock()
	busy := false
	for _, p := range pools {
		if st := p.Stats(); st.Live > st.Idle {
			busy = true
		}
	}
	if !busy || runtime.NumGoroutine() > maxDumpGoroutines {
		return
	}
	byAddr := make(map[string]*thread.Pool, len(pools))
	for _, p := range pools {
		byAddr[fmt.Sprintf("%p", p)] = p
	}
	dump := stacks.All()
	pa.mu.Lock()
	defer pa.mu.Unlock()
	for _, g := range dump {
		// A worker running a task: its frames have the job's run and the
		// pool's work loop, whose first argument is the pool.
		const work = "github.com/duet-go/duet/thread.(*Pool).work("
		i := strings.Index(g, work)
		if i < 0 || !(strings.Contains(g, "github.com/duet-go/duet/thread.(*job[") || strings.Contains(g, "github.com/duet-go/duet/thread.(*goJob).run(")) {
			continue // an idle worker
		}
		addr, _, _ := strings.Cut(g[i+len(work):], ",")
		p := byAddr[strings.TrimSuffix(addr, ")")]
		if p == nil {
			continue
		}
		w := pa.pools[p]
		if w == nil {
			w = &poolWatch{name: p.Name(), states: map[string]int{}}
			pa.pools[p] = w
		}
		w.busy++
		if state := stacks.State(g); !computing[state] {
			w.waiting++
			w.states[state]++
		}
	}
}

// flags returns the pools that hold threads to wait.
func (pa *poolAdvisor) flags() []Flag {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	var out []Flag
	for _, w := range pa.pools {
		if w.busy < minPoolSamples || float64(w.waiting) < ioShare*float64(w.busy) {
			continue
		}
		var states []string
		for s, n := range w.states {
			states = append(states, fmt.Sprintf("%s %.0f%%", s, 100*float64(n)/float64(w.waiting)))
		}
		sort.Strings(states)
		out = append(out, Flag{
			Pool: w.name, Name: w.name, Kind: "waiting pool",
			Advice:   "its tasks mostly wait (I/O, sleeps, locks) while each holds a worker: as loop tasks they would wait without holding a thread (aio.Dial, duet.Sleep, aio.ToThread for the rest)",
			Evidence: fmt.Sprintf("%d of %d samples of busy workers found them waiting (%s)", w.waiting, w.busy, strings.Join(states, ", ")),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pool < out[j].Pool })
	return out
}
