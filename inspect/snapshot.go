package inspect

import (
	"context"
	"errors"
	"time"

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// Snapshot is the state of every loop, duet thread and pool of the
// process at one moment (each loop's part is consistent in itself; the
// parts are taken one after another).
type Snapshot struct {
	Taken   time.Time      `json:"taken"`
	Loops   []aio.LoopInfo `json:"loops"`
	Threads []thread.Info  `json:"threads"` // duet threads and pool workers alive
	Pools   []PoolInfo     `json:"pools"`
	// Flags are the advisor's findings; empty unless the snapshot came
	// from a Monitor, which measures the steps they are read from.
	Flags []Flag `json:"flags"`
	// Lag is each loop's recent scheduling lag, from a Monitor.
	Lag []LagSeries `json:"lag,omitempty"`
	// SlowSteps are the last steps a Monitor saw hold a loop past its
	// slow threshold, with their evidence, oldest first.
	SlowSteps []SlowStep `json:"slow_steps,omitempty"`
}

// PoolInfo is one thread.Pool.
type PoolInfo struct {
	Name string `json:"name"`
	thread.PoolStats
	// MeanRun is the mean run time of a task, on a timed pool (a Monitor
	// times the pools it watches), 0 otherwise.
	MeanRun time.Duration `json:"mean_run_ns,omitempty"`
}

// Take snapshots every loop (aio.Loops), duet thread (thread.Enumerate)
// and pool (thread.Pools). A running loop's part is taken by a callback of
// that loop between two steps (see aio.Loop.Snapshot), so Take waits for
// each running loop to finish its current step, at most until ctx ends:
// call it from a goroutine, or from a task (which then suspends; its own
// loop's part is taken at once).
//
// aio.WithStacks adds each task's stack (a dump of every goroutine's, taken
// in each loop's snapshot step).
func Take(ctx context.Context, opts ...aio.SnapshotOption) (Snapshot, error) {
	s := Snapshot{Taken: time.Now(), Loops: []aio.LoopInfo{}, Pools: []PoolInfo{}, Flags: []Flag{}}
	var errs []error
	for _, l := range aio.Loops() {
		info, err := l.Snapshot(ctx, opts...)
		if err != nil {
			if l.IsClosed() {
				continue // closed since Loops returned it
			}
			errs = append(errs, err)
			continue
		}
		s.Loops = append(s.Loops, info)
	}
	s.Threads = thread.Enumerate()
	for _, p := range thread.Pools() {
		pi := PoolInfo{Name: p.Name(), PoolStats: p.Stats()}
		if pi.Completed > 0 {
			pi.MeanRun = pi.RunTime / time.Duration(pi.Completed)
		}
		s.Pools = append(s.Pools, pi)
	}
	return s, errors.Join(errs...)
}
