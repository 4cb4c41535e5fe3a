package main

import "fmt"

// verdict is the advice for one row, read off what the run measured: the
// share of the loop's time that computation held it (loop models: a loop
// held more than half the time is CPU-bound, and every other task waited
// behind it), and how many cores the run kept busy (CPU time over wall
// time) against what the model can use. It names the model that fits the
// work better, as the advisor does for a live program from its tasks' step
// and wait times. Cores busy read low on a loaded machine; the held share
// does not.
func verdict(r result, p params) string {
	busy := r.cores()
	switch r.Model {
	case loopModel, pyAsyncio, pyUvloop:
		held := r.HeldS / max(r.WallS, 1e-9)
		if held >= 0.5 {
			if r.Model.python() {
				return fmt.Sprintf("CPU-bound on the loop (computation held it %.0f%% of the time): the GIL limits threads too; use a ProcessPoolExecutor", 100*held)
			}
			return fmt.Sprintf("CPU-bound on the loop (computation held it %.0f%% of the time): hand it to aio.ToThread or a thread.Pool, or run a loop per core", 100*held)
		}
		return fmt.Sprintf("fits: waits on I/O without holding threads (loop held %.0f%%, %.2f cores busy)", 100*held, busy)
	case pyThreads, pyToThread:
		if r.Workload != ioBound && busy < 1.3 {
			return fmt.Sprintf("the GIL runs one thread's Python at a time (%.2f cores busy): use processes", busy)
		}
		if r.Workload == ioBound {
			return fmt.Sprintf("%d threads mostly wait on I/O (%.2f cores busy): asyncio tasks would hold no thread", p.Concurrency, busy)
		}
		return fmt.Sprintf("fits (%.2f cores busy)", busy)
	case poolModel:
		if r.Workload == ioBound {
			return fmt.Sprintf("%d threads mostly wait on I/O (%.2f cores busy): loop tasks would hold no thread", p.Concurrency, busy)
		}
		return fmt.Sprintf("fits: computation runs in parallel (%.2f of %d cores busy)", busy, p.Workers)
	case loopThreads:
		return fmt.Sprintf("fits: the loop waits, the executor computes (%.2f cores busy)", busy)
	case loopsModel:
		held := r.HeldS / max(r.WallS*float64(p.Workers), 1e-9)
		return fmt.Sprintf("fits: %d loops share the work, each single-threaded (each held %.0f%% by computation, %.2f cores busy)", p.Workers, 100*held, busy)
	default: // goroutines
		return fmt.Sprintf("fits (%.2f cores busy); shared state needs locks", busy)
	}
}
