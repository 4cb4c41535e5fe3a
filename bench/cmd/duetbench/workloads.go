package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A rep runs one repetition of a workload with size n and returns its
// metrics. Every workload has a twin in ../../python that does the same
// thing with CPython's asyncio and reports the same metric names.
type rep func(n int) (map[string]float64, error)

// workload describes one measured scenario.
type workload struct {
	name   string // command-line and JSON name; also the Python script's stem
	about  string
	run    rep
	n      int // duet size per repetition
	reps   int // duet repetitions (median taken)
	pyN    int // CPython size per repetition (CPython is 10-50x slower)
	pyReps int
	ref    bool // a plain-Go reference figure: no CPython twin, no target
	noUV   bool // the CPython twin does not use asyncio: no uvloop run
	warmup int  // unrecorded duet repetitions first (the first ones of a fresh process run slower)
}

// workloads lists every scenario, in table order. extraWorkloads (in
// sync_workloads.go) adds the ones whose primitives live in the root package,
// threadWorkloads (in pool_workloads.go) those of the threading model.
func workloads() []workload {
	ws := []workload{
		{name: "spawn_await", about: "spawn + await of a trivial task, one at a time, from the main task",
			run: spawnAwait, n: 200_000, reps: 7, pyN: 20_000, pyReps: 5},
		{name: "sleep_zero", about: "two tasks taking turns with Sleep(ctx, 0); one step = one task's sleep",
			run: sleepZero, n: 500_000, reps: 7, pyN: 50_000, pyReps: 5},
		{name: "sleepers", about: "n tasks each sleeping a random 0-100 ms on the real clock; main awaits all (then again on the same loop: reused_loop_*); the same sleeps on plain goroutines in the same repetition: goroutines_*",
			run: sleepers, n: 100_000, reps: 7, pyN: 100_000, pyReps: 3},
		{name: "memory", about: "n tasks suspended on one future; heap+stack in use (duet) or RSS (CPython) per task",
			run: suspendedMemory, n: 1_000_000, reps: 1, pyN: 100_000, pyReps: 1},
	}
	ws = append(ws, extraWorkloads()...)
	ws = append(ws, procWorkloads()...)
	return append(ws, threadWorkloads()...)
}

func findWorkload(name string) (workload, bool) {
	for _, w := range workloads() {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

func trivial(context.Context) (int, error) { return 1, nil }

// allocsSince reports the mallocs and bytes allocated since m0, per op.
func allocsSince(m0 *runtime.MemStats, n int) (allocs, bytes float64) {
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(n), float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)
}

func spawnAwait(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		// Warm the loop's pool of idle coroutines and the allocator.
		for range 1000 {
			if _, err := duet.Await(ctx, aio.Spawn(ctx, trivial)); err != nil {
				return err
			}
		}
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		pf, gs := pageFaults(), goroutinesCreated()
		start := time.Now()
		for range n {
			if _, err := duet.Await(ctx, aio.Spawn(ctx, trivial)); err != nil {
				return err
			}
		}
		el := time.Since(start)
		out["page_faults_per_op"] = float64(pageFaults()-pf) / float64(n)
		out["goroutines_per_op"] = float64(goroutinesCreated()-gs) / float64(n)
		out["ns_per_op"] = float64(el.Nanoseconds()) / float64(n)
		out["allocs_per_op"], out["bytes_per_op"] = allocsSince(&m0, n)
		return nil
	})
	return out, err
}

func sleepZero(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		body := func(ctx context.Context) (int, error) {
			for range n {
				if err := duet.Sleep(ctx, 0); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		t1 := aio.Spawn(ctx, body)
		t2 := aio.Spawn(ctx, body)
		if _, err := duet.Await(ctx, t1); err != nil {
			return err
		}
		if _, err := duet.Await(ctx, t2); err != nil {
			return err
		}
		el := time.Since(start)
		out["ns_per_step"] = float64(el.Nanoseconds()) / float64(2*n)
		out["allocs_per_op"], out["bytes_per_op"] = allocsSince(&m0, 2*n)
		return nil
	})
	return out, err
}

// cpuTime returns the process's user+system CPU time: the loop's goroutine,
// the coroutines' goroutines, the garbage collector, the timers.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goroutinesCreated returns how many goroutines the process has started:
// a task that finds no idle coroutine on its loop starts one.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// gcCycles returns the number of completed GC cycles.
func gcCycles() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// pageFaults returns the process's minor page faults so far: first touches
// of memory the runtime got (or got back) from the kernel, which are costly
// on virtual machines and show up in the figures as runtime time.
func pageFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Minflt)
}

// sleepersRep counts the sleepers' repetitions, to alternate which of
// duet and the goroutines goes first.
var sleepersRep int

// sleepers runs the sleeps on a new loop (a program's first burst), again on
// the same loop (reused_loop_*: its idle coroutines from the first burst make
// spawning cheaper), and on plain goroutines (goroutines_*), the peer the
// targets are ratios to. Each part starts after a full collection; the order
// of duet and the goroutines alternates between repetitions, since whichever
// runs second finds the first one's dead goroutines to reuse (the runtime
// keeps them, as a closed loop's coroutines end as dead goroutines too).
func sleepers(n int) (map[string]float64, error) {
	ds := randomSleeps(n)
	out := map[string]float64{}
	goFirst := sleepersRep%2 == 0
	sleepersRep++
	if goFirst {
		goroutineSleepers(ds, out)
	}
	if err := duetSleepers(ds, out); err != nil {
		return nil, err
	}
	if !goFirst {
		goroutineSleepers(ds, out)
	}
	return out, nil
}

// measure runs fn and records its wall and CPU time, page faults, GC
// cycles and goroutines created under prefix.
func measure(out map[string]float64, prefix string, fn func() error) error {
	runtime.GC()
	pf, gc, gs := pageFaults(), gcCycles(), goroutinesCreated()
	c0 := cpuTime()
	start := time.Now()
	err := fn()
	out[prefix+"wall_ms"] = float64(time.Since(start).Microseconds()) / 1e3
	out[prefix+"cpu_ms"] = float64((cpuTime() - c0).Microseconds()) / 1e3
	out[prefix+"page_faults"] = float64(pageFaults() - pf)
	out[prefix+"gc_cycles"] = float64(gcCycles() - gc)
	out[prefix+"goroutines_created"] = float64(goroutinesCreated() - gs)
	return err
}

func duetSleepers(ds []time.Duration, out map[string]float64) error {
	ts := make([]*aio.Task[int], len(ds))
	return aio.Run(context.Background(), func(ctx context.Context) error {
		sleep := func(d time.Duration) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { return 0, duet.Sleep(ctx, d) }
		}
		for _, prefix := range []string{"", "reused_loop_"} {
			err := measure(out, prefix, func() error {
				for i, d := range ds {
					ts[i] = aio.Spawn(ctx, sleep(d))
				}
				for _, t := range ts {
					if _, err := duet.Await(ctx, t); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func randomSleeps(n int) []time.Duration {
	ds := make([]time.Duration, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range ds {
		ds[i] = time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
	}
	return ds
}

// goroutineSleepers runs the sleeps on plain goroutines (time.Sleep, a
// WaitGroup): the floor, on this machine, for a design that gives every task
// a goroutine.
func goroutineSleepers(ds []time.Duration, out map[string]float64) {
	measure(out, "goroutines_", func() error {
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() { time.Sleep(d); wg.Done() }()
		}
		wg.Wait()
		return nil
	})
}

// memUse is what suspended tasks occupy: heap spans in use (task objects,
// waiters, goroutine descriptors) and goroutine stacks, after a full GC.
type memUse struct{ heap, stack uint64 }

func inUse() memUse {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memUse{m.HeapInuse, m.StackInuse}
}

func (m memUse) total() uint64 { return m.heap + m.stack }

// perItem reports the growth from m0 to m1 per item, split into heap and
// stack, under the given metric prefix.
func perItem(out map[string]float64, prefix string, m0, m1 memUse, n int) error {
	if m1.total() < m0.total() {
		return fmt.Errorf("memory in use went down (%d -> %d bytes): measurement is meaningless", m0.total(), m1.total())
	}
	out[prefix+"bytes_per_task"] = float64(m1.total()-m0.total()) / float64(n)
	out[prefix+"heap_bytes_per_task"] = (float64(m1.heap) - float64(m0.heap)) / float64(n)
	out[prefix+"stack_bytes_per_task"] = (float64(m1.stack) - float64(m0.stack)) / float64(n)
	return nil
}

func suspendedMemory(n int) (map[string]float64, error) {
	out := map[string]float64{}
	ts := make([]*aio.Task[int], n)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		gate := duet.NewFuture[int]()
		all := duet.NewFuture[int]()
		started := 0
		body := func(ctx context.Context) (int, error) {
			started++
			if started == n {
				all.SetResult(0)
			}
			return duet.Await(ctx, gate)
		}
		before := inUse()
		pf := pageFaults()
		start := time.Now()
		for i := range ts {
			ts[i] = aio.Spawn(ctx, body)
		}
		if _, err := duet.Await(ctx, all); err != nil {
			return err
		}
		out["spawn_ms"] = float64(time.Since(start).Microseconds()) / 1e3
		out["page_faults_per_task"] = float64(pageFaults()-pf) / float64(n)
		after := inUse()
		if err := perItem(out, "", before, after, n); err != nil {
			return err
		}
		out["total_mib"] = float64(after.total()-before.total()) / (1 << 20)
		gate.SetResult(0)
		for _, t := range ts {
			if _, err := duet.Await(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
