package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/ants/v2"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// workersFlag is -workers: the size of the "one worker per core" pools
// (pool_tiny's first size, primes' pool). 0 means GOMAXPROCS, so that the
// same driver measures a 16-core machine without edits.
var workersFlag int

func coreWorkers() int {
	if workersFlag > 0 {
		return workersFlag
	}
	return runtime.GOMAXPROCS(0)
}

// manyWorkers is pool_tiny's second pool size: the I/O-bound sizing, far
// more workers than cores.
const manyWorkers = 100

// threadWorkloads returns the workloads of the threading model: thread.Pool
// against Go's pool libraries and CPython's ThreadPoolExecutor, CPU-bound
// scaling, the bridges between a loop and goroutines, and memory.
func threadWorkloads() []workload {
	return []workload{
		{name: "pool_tiny", about: fmt.Sprintf("n tiny tasks (i -> i+1) on pools of W workers (W = -workers, default GOMAXPROCS, and W = %d); "+
			"duet (submit all, then await every future / fire and wait: Pool.Go, or Submit with the futures dropped) vs ants, conc, errgroup.SetLimit in the same process, and CPython's ThreadPoolExecutor (submit, then result() of each)", manyWorkers),
			run: poolTiny, n: 1_000_000, reps: 3, pyN: 50_000, pyReps: 3, noUV: true},
		{name: "pool_queued_memory", about: "n tiny tasks queued behind 1 busy worker: heap+stack per queued task (duet: Pool with a queue of n; ref_goroutines_: min(n, 200k) goroutines parked on a channel; CPython: RSS per queued future)",
			run: poolQueuedMemory, n: 1_000_000, reps: 1, pyN: 50_000, pyReps: 1, noUV: true},
		{name: "primes", about: "count primes below n by trial division, 2 chunks per worker (interleaved blocks, equal work), serial vs a pool of one worker per core vs one goroutine per chunk",
			run: primes, n: 8_000_000, reps: 5, pyN: 600_000, pyReps: 3, noUV: true},
		{name: "to_thread", about: "aio.ToThread of a trivial function from a loop task, one at a time (CPython: await asyncio.to_thread)",
			run: toThread, n: 100_000, reps: 5, warmup: 1, pyN: 5_000, pyReps: 3},
		{name: "from_goroutine", about: "a goroutine spawns a trivial task on a running loop (aio.Spawn(loop.Context(), fn)) and awaits it, one at a time (CPython: run_coroutine_threadsafe(...).result() from a thread)",
			run: fromGoroutine, n: 200_000, reps: 5, warmup: 1, pyN: 10_000, pyReps: 3},
		{name: "idle_pool", about: "a pool of n started, idle workers: heap+stack in use (CPython: RSS of a ThreadPoolExecutor with n idle threads); ref_ metrics: n goroutines parked on channels",
			run: idlePool, n: 1000, reps: 3, pyN: 1000, pyReps: 1, noUV: true},
	}
}

// poolImpl runs n tiny tasks on a fresh pool of w workers and reports the
// elapsed time from the first submission until every task is known done.
type poolImpl struct {
	name string
	run  func(n, w int) (time.Duration, error)
}

// The "_results" implementations (and duet_await) deliver each task's value
// to the submitter: duet through the future Submit returns, the peers, which
// have no futures, by storing into a slice from a closure. The plain ones
// run a shared function and only wait for all to finish: duet_go gives each
// task with Pool.Go, which makes no future, and counts down a WaitGroup, as
// ants users do; duet_fire does the same with Submit, dropping the futures
// (128 B each, freshly touched memory, against Go's 32 B).
//
// duet_await_warm runs duet_await again right after it: its figure shows
// what duet_await costs once the heap that 1M futures occupy (~150 MB) is
// already mapped, that is without the first-touch page faults, which are
// costly on virtual machines. duet_map gets the results in order with
// thread.Map (default in-flight bound), which holds no future per task.
var poolImpls = []poolImpl{
	{"duet_await", duetAwait},
	{"duet_map", duetMap},
	{"ants_results", antsResults},
	{"conc_results", concResults},
	{"errgroup_results", errgroupResults},
	{"duet_go", duetGo},
	{"duet_fire", duetFire},
	{"ants", antsFire},
	{"conc", concFire},
	{"errgroup", errgroupFire},
}

var poolTinyRound int

// implsFlag is run's -impls: pool_tiny runs only these implementations
// (comma-separated names, e.g. duet_await), for profiling one at a time.
var implsFlag string

func poolTiny(n int) (map[string]float64, error) {
	out := map[string]float64{}
	sizes := []struct {
		key string
		w   int
	}{{"wcores", coreWorkers()}, {"w100", manyWorkers}}
	// Rotate the order from one repetition to the next, so that no
	// implementation always runs first (cold) or last (after the most GC).
	k := poolTinyRound
	poolTinyRound++
	var order []poolImpl
	for i := range poolImpls {
		im := poolImpls[(i+k)%len(poolImpls)]
		switch {
		case im.name == "duet_await_warm":
			continue // runs right after duet_await
		case implsFlag != "" && !contains(strings.Split(implsFlag, ","), im.name):
			continue
		}
		order = append(order, im)
		if im.name == "duet_await" {
			order = append(order, poolImpl{"duet_await_warm", duetAwait})
		}
	}
	for _, sz := range sizes {
		for _, im := range order {
			runtime.GC()
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			pf, c0, gc := pageFaults(), cpuTime(), gcCycles()
			el, err := im.run(n, sz.w)
			if err != nil {
				return nil, fmt.Errorf("%s W=%d: %w", im.name, sz.w, err)
			}
			pre := im.name + "_" + sz.key + "_"
			out[pre+"tasks_per_s"] = float64(n) / el.Seconds()
			out[pre+"cpu_ns_per_task"] = float64((cpuTime() - c0).Nanoseconds()) / float64(n)
			out[pre+"page_faults"] = float64(pageFaults() - pf)
			out[pre+"gc_cycles"] = float64(gcCycles() - gc)
			out[pre+"allocs_per_task"], out[pre+"bytes_per_task"] = allocsSince(&m0, n)
		}
	}
	out["workers_cores"] = float64(coreWorkers())
	return out, nil
}

func addOne(i int) int { return i + 1 }

// sumWant is the sum of addOne over 0..n-1.
func sumWant(n int) int { return n * (n + 1) / 2 }

func checkSum(got, n int) error {
	if got != sumWant(n) {
		return fmt.Errorf("results sum to %d, want %d: tasks were lost or ran twice", got, sumWant(n))
	}
	return nil
}

func duetAwait(n, w int) (time.Duration, error) {
	p, err := thread.NewPool(w)
	if err != nil {
		return 0, err
	}
	defer p.Shutdown(true, false)
	ctx := context.Background()
	futs := make([]*duet.Future[int], n)
	start := time.Now()
	for i := range futs {
		futs[i] = thread.Submit(ctx, p, func(context.Context) (int, error) { return addOne(i), nil })
	}
	sum := 0
	for _, f := range futs {
		v, err := duet.Await(ctx, f)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	el := time.Since(start)
	return el, checkSum(sum, n)
}

func duetMap(n, w int) (time.Duration, error) {
	p, err := thread.NewPool(w)
	if err != nil {
		return 0, err
	}
	defer p.Shutdown(true, false)
	in := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	start := time.Now()
	sum := 0
	for v, err := range thread.Map(context.Background(), p, in, func(_ context.Context, i int) (int, error) { return addOne(i), nil }) {
		if err != nil {
			return 0, err
		}
		sum += v
	}
	el := time.Since(start)
	return el, checkSum(sum, n)
}

func duetGo(n, w int) (time.Duration, error)   { return duetFireAll(n, w, true) }
func duetFire(n, w int) (time.Duration, error) { return duetFireAll(n, w, false) }

// duetFireAll gives n tasks with Pool.Go (useGo) or Submit (dropping the
// futures), each counting down a WaitGroup, and waits for all.
func duetFireAll(n, w int, useGo bool) (time.Duration, error) {
	p, err := thread.NewPool(w)
	if err != nil {
		return 0, err
	}
	defer p.Shutdown(true, false)
	ctx := context.Background()
	var wg sync.WaitGroup
	var ran atomic.Int64
	fn := func(context.Context) error {
		ran.Add(1)
		wg.Done()
		return nil
	}
	submitted := func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }
	start := time.Now()
	wg.Add(n)
	for range n {
		if !useGo {
			thread.Submit(ctx, p, submitted)
		} else if err := p.Go(ctx, fn); err != nil {
			return 0, err
		}
	}
	wg.Wait()
	el := time.Since(start)
	return el, checkRan(ran.Load(), n)
}

func checkRan(ran int64, n int) error {
	if ran != int64(n) {
		return fmt.Errorf("%d tasks ran, want %d", ran, n)
	}
	return nil
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func antsResults(n, w int) (time.Duration, error) {
	p, err := ants.NewPool(w)
	if err != nil {
		return 0, err
	}
	defer p.ReleaseTimeout(5 * time.Second)
	res := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := range res {
		if err := p.Submit(func() { res[i] = addOne(i); wg.Done() }); err != nil {
			return 0, err
		}
	}
	wg.Wait()
	el := time.Since(start)
	return el, checkSum(sum(res), n)
}

func antsFire(n, w int) (time.Duration, error) {
	p, err := ants.NewPool(w)
	if err != nil {
		return 0, err
	}
	defer p.ReleaseTimeout(5 * time.Second)
	var wg sync.WaitGroup
	var ran atomic.Int64
	fn := func() { ran.Add(1); wg.Done() }
	start := time.Now()
	wg.Add(n)
	for range n {
		if err := p.Submit(fn); err != nil {
			return 0, err
		}
	}
	wg.Wait()
	el := time.Since(start)
	return el, checkRan(ran.Load(), n)
}

func concResults(n, w int) (time.Duration, error) {
	p := concpool.NewWithResults[int]().WithMaxGoroutines(w)
	start := time.Now()
	for i := range n {
		p.Go(func() int { return addOne(i) })
	}
	res := p.Wait() // in completion order, not submission order
	el := time.Since(start)
	return el, checkSum(sum(res), n)
}

func concFire(n, w int) (time.Duration, error) {
	p := concpool.New().WithMaxGoroutines(w)
	var ran atomic.Int64
	fn := func() { ran.Add(1) }
	start := time.Now()
	for range n {
		p.Go(fn)
	}
	p.Wait()
	el := time.Since(start)
	return el, checkRan(ran.Load(), n)
}

func errgroupResults(n, w int) (time.Duration, error) {
	var g errgroup.Group
	g.SetLimit(w)
	res := make([]int, n)
	start := time.Now()
	for i := range res {
		g.Go(func() error { res[i] = addOne(i); return nil })
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	el := time.Since(start)
	return el, checkSum(sum(res), n)
}

func errgroupFire(n, w int) (time.Duration, error) {
	var g errgroup.Group
	g.SetLimit(w)
	var ran atomic.Int64
	fn := func() error { ran.Add(1); return nil }
	start := time.Now()
	for range n {
		g.Go(fn)
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	el := time.Since(start)
	return el, checkRan(ran.Load(), n)
}

const maxRefGoroutines = 200_000

// poolQueuedMemory measures what a queued task costs: n tasks wait behind
// one busy worker in a pool whose queue holds them all (the queue's slots
// are counted: they are allocated by NewPool, after the first reading).
// The reference holds goroutines parked on one channel, each holding its
// task, which is how a design without a queue would hold the backlog.
func poolQueuedMemory(n int) (map[string]float64, error) {
	out := map[string]float64{}
	ctx := context.Background()

	before := inUse()
	p, err := thread.NewPool(1, thread.WithQueueSize(n))
	if err != nil {
		return nil, err
	}
	release := make(chan struct{})
	busy := make(chan struct{})
	thread.Submit(ctx, p, func(context.Context) (int, error) {
		close(busy)
		<-release
		return 0, nil
	})
	<-busy
	var ran atomic.Int64
	fn := func(context.Context) (int, error) { ran.Add(1); return 1, nil }
	start := time.Now()
	for range n {
		thread.Submit(ctx, p, fn)
	}
	out["submit_ns_per_task"] = float64(time.Since(start).Nanoseconds()) / float64(n)
	if q := p.Stats().Queued; q != n {
		close(release)
		p.Shutdown(true, false)
		return nil, fmt.Errorf("%d tasks queued, want %d", q, n)
	}
	after := inUse()
	if err := perItem(out, "", before, after, n); err != nil {
		close(release)
		p.Shutdown(true, false)
		return nil, err
	}
	close(release)
	p.Shutdown(true, false)
	if err := checkRan(ran.Load(), n); err != nil {
		return nil, err
	}

	// The reference: goroutines, each parked until the gate opens, then
	// running its task. Fewer than n: a figure per goroutine does not
	// depend on their number, and each first touch of a fresh stack page
	// costs a page fault (about 12 us on the 2-core VM this was written on).
	n = min(n, maxRefGoroutines)
	before = inUse()
	gate := make(chan struct{})
	var wg sync.WaitGroup
	var ran2, parked atomic.Int64
	task := func() { ran2.Add(1) }
	start = time.Now()
	wg.Add(n)
	for range n {
		go func() {
			parked.Add(1)
			<-gate
			task()
			wg.Done()
		}()
	}
	out["ref_goroutines_spawn_ns_per_task"] = float64(time.Since(start).Nanoseconds()) / float64(n)
	for parked.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	after = inUse()
	err = perItem(out, "ref_goroutines_", before, after, n)
	close(gate)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return out, checkRan(ran2.Load(), n)
}

// countPrimes counts the primes in [lo, hi) by trial division by odd
// numbers: deliberately naive, pure CPU work with no memory traffic.
func countPrimes(lo, hi uint32) int {
	c := 0
	for x := max(lo, 2); x < hi; x++ {
		if x < 4 {
			c++
			continue
		}
		if x%2 == 0 {
			continue
		}
		prime := true
		for d := uint32(3); d*d <= x; d += 2 {
			if x%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			c++
		}
	}
	return c
}

// primeBlock is the width of the blocks that chunks take in turn: chunk c
// of k counts blocks c, c+k, c+2k, ... so that every chunk gets the same
// mix of small (cheap) and large (costly) numbers and the split is even.
// ../../python/primes.py uses the same chunking.
const primeBlock = 1000

func primeChunk(c, k int, n uint32) int {
	total := 0
	for lo := uint32(c) * primeBlock; lo < n; lo += uint32(k) * primeBlock {
		total += countPrimes(lo, min(lo+primeBlock, n))
	}
	return total
}

var primesRound int

// primes times the same job three ways in one repetition, in a rotating
// order: serial, chunks on a thread.Pool of one worker per core, and one
// goroutine per chunk. Speedups are per repetition (each parallel run
// against the serial run next to it), so that load drifting between
// repetitions cancels out.
func primes(n int) (map[string]float64, error) {
	w := coreWorkers()
	k := 2 * w
	lim := uint32(n)
	var want int
	ways := []struct {
		name string
		run  func() (int, error)
	}{
		{"serial", func() (int, error) {
			t := 0
			for c := range k {
				t += primeChunk(c, k, lim)
			}
			return t, nil
		}},
		{"duet", func() (int, error) {
			p, err := thread.NewPool(w)
			if err != nil {
				return 0, err
			}
			defer p.Shutdown(true, false)
			ctx := context.Background()
			futs := make([]*duet.Future[int], k)
			for c := range k {
				futs[c] = thread.Submit(ctx, p, func(context.Context) (int, error) { return primeChunk(c, k, lim), nil })
			}
			t := 0
			for _, f := range futs {
				v, err := duet.Await(ctx, f)
				if err != nil {
					return 0, err
				}
				t += v
			}
			return t, nil
		}},
		{"goroutines", func() (int, error) {
			res := make([]int, k)
			var wg sync.WaitGroup
			for c := range k {
				wg.Go(func() { res[c] = primeChunk(c, k, lim) })
			}
			wg.Wait()
			return sum(res), nil
		}},
	}
	ms := map[string]float64{}
	r := primesRound
	primesRound++
	for i := range ways {
		way := ways[(i+r)%len(ways)]
		runtime.GC()
		start := time.Now()
		got, err := way.run()
		if err != nil {
			return nil, err
		}
		ms[way.name] = float64(time.Since(start).Microseconds()) / 1e3
		if want == 0 {
			want = got
		} else if got != want {
			return nil, fmt.Errorf("%s counted %d primes, another way %d", way.name, got, want)
		}
	}
	return map[string]float64{
		"serial_ms":          ms["serial"],
		"duet_ms":            ms["duet"],
		"goroutines_ms":      ms["goroutines"],
		"duet_speedup":       ms["serial"] / ms["duet"],
		"goroutine_speedup":  ms["serial"] / ms["goroutines"],
		"duet_vs_goroutines": ms["goroutines"] / ms["duet"],
		"primes":             float64(want),
		"workers":            float64(w),
		"chunks":             float64(k),
	}, nil
}

func trivialCtx(context.Context) (int, error) { return 1, nil }

func toThread(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for range 1000 { // start the default executor's workers
			if _, err := aio.ToThread(ctx, trivialCtx); err != nil {
				return err
			}
		}
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		pf, gc := pageFaults(), gcCycles()
		start := time.Now()
		for range n {
			if _, err := aio.ToThread(ctx, trivialCtx); err != nil {
				return err
			}
		}
		out["ns_per_op"] = float64(time.Since(start).Nanoseconds()) / float64(n)
		out["page_faults"] = float64(pageFaults() - pf)
		out["gc_cycles"] = float64(gcCycles() - gc)
		out["allocs_per_op"], out["bytes_per_op"] = allocsSince(&m0, n)
		return nil
	})
	return out, err
}

func fromGoroutine(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		lctx := aio.LoopOf(ctx).Context()
		done := duet.NewFuture[struct{}]()
		go func() {
			bg := context.Background()
			round := func(k int) error {
				for range k {
					if _, err := duet.Await(bg, aio.Spawn(lctx, trivial)); err != nil {
						return err
					}
				}
				return nil
			}
			if err := round(1000); err != nil { // warm the loop's coroutines
				done.SetError(err)
				return
			}
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			pf, gc := pageFaults(), gcCycles()
			start := time.Now()
			if err := round(n); err != nil {
				done.SetError(err)
				return
			}
			out["ns_per_op"] = float64(time.Since(start).Nanoseconds()) / float64(n)
			out["page_faults"] = float64(pageFaults() - pf)
			out["gc_cycles"] = float64(gcCycles() - gc)
			out["allocs_per_op"], out["bytes_per_op"] = allocsSince(&m0, n)
			done.SetResult(struct{}{})
		}()
		_, err := duet.Await(ctx, done)
		return err
	})
	return out, err
}

// idlePool measures a pool of n workers, all started (each got a task of
// its own, held until all had started) and now idle; and, as a reference,
// n goroutines parked on a channel each, which is what an idle worker is.
func idlePool(n int) (map[string]float64, error) {
	out := map[string]float64{}
	ctx := context.Background()
	before := inUse()
	p, err := thread.NewPool(n)
	if err != nil {
		return nil, err
	}
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	for range n {
		thread.Submit(ctx, p, func(context.Context) (struct{}, error) {
			started.Done()
			<-release
			return struct{}{}, nil
		})
	}
	started.Wait()
	close(release)
	for p.Stats().Idle < n {
		time.Sleep(100 * time.Microsecond)
	}
	after := inUse()
	p.Shutdown(true, false)
	if after.total() < before.total() {
		return nil, fmt.Errorf("memory in use went down (%d -> %d bytes)", before.total(), after.total())
	}
	out["total_mib"] = float64(after.total()-before.total()) / (1 << 20)
	out["bytes_per_worker"] = float64(after.total()-before.total()) / float64(n)

	before = inUse()
	chans := make([]chan func(), n)
	var exited sync.WaitGroup
	var parked atomic.Int64
	exited.Add(n)
	for i := range chans {
		chans[i] = make(chan func(), 1)
		go func(ch chan func()) {
			defer exited.Done()
			parked.Add(1)
			for f := range ch {
				f()
			}
		}(chans[i])
	}
	for parked.Load() < int64(n) {
		time.Sleep(100 * time.Microsecond)
	}
	after = inUse()
	for _, ch := range chans {
		close(ch)
	}
	exited.Wait()
	if after.total() < before.total() {
		return nil, fmt.Errorf("memory in use went down (%d -> %d bytes)", before.total(), after.total())
	}
	out["ref_goroutines_total_mib"] = float64(after.total()-before.total()) / (1 << 20)
	out["ref_goroutines_bytes_per_worker"] = float64(after.total()-before.total()) / float64(n)
	return out, nil
}
