package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
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
}

// workloads lists every scenario, in table order. extraWorkloads (in
// sync_workloads.go) adds the ones whose primitives live in the root package.
func workloads() []workload {
	ws := []workload{
		{name: "spawn_await", about: "spawn + await of a trivial task, one at a time, from the main task",
			run: spawnAwait, n: 200_000, reps: 7, pyN: 20_000, pyReps: 5},
		{name: "sleep_zero", about: "two tasks taking turns with Sleep(ctx, 0); one step = one task's sleep",
			run: sleepZero, n: 500_000, reps: 7, pyN: 50_000, pyReps: 5},
		{name: "sleepers", about: "n tasks each sleeping a random 0-100 ms on the real clock; main awaits all",
			run: sleepers, n: 100_000, reps: 5, pyN: 100_000, pyReps: 3},
		{name: "memory", about: "n tasks suspended on one future; heap+stack in use (duet) or RSS (CPython) per task",
			run: suspendedMemory, n: 1_000_000, reps: 1, pyN: 100_000, pyReps: 1},
	}
	return append(ws, extraWorkloads()...)
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
		start := time.Now()
		for range n {
			if _, err := duet.Await(ctx, aio.Spawn(ctx, trivial)); err != nil {
				return err
			}
		}
		el := time.Since(start)
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

func sleepers(n int) (map[string]float64, error) {
	ds := make([]time.Duration, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range ds {
		ds[i] = time.Duration(rng.Int64N(int64(100 * time.Millisecond)))
	}
	ts := make([]*aio.Task[int], n)
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		sleep := func(d time.Duration) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { return 0, duet.Sleep(ctx, d) }
		}
		c0 := cpuTime()
		start := time.Now()
		for i, d := range ds {
			ts[i] = aio.Spawn(ctx, sleep(d))
		}
		for _, t := range ts {
			if _, err := duet.Await(ctx, t); err != nil {
				return err
			}
		}
		out["wall_ms"] = float64(time.Since(start).Microseconds()) / 1e3
		out["cpu_ms"] = float64((cpuTime() - c0).Microseconds()) / 1e3
		return nil
	})
	return out, err
}

// inUse is what suspended tasks occupy: heap spans in use (task objects,
// waiters, goroutine descriptors) and goroutine stacks.
func inUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
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
		start := time.Now()
		for i := range ts {
			ts[i] = aio.Spawn(ctx, body)
		}
		if _, err := duet.Await(ctx, all); err != nil {
			return err
		}
		out["spawn_ms"] = float64(time.Since(start).Microseconds()) / 1e3
		after := inUse()
		if after < before {
			return fmt.Errorf("memory in use went down (%d -> %d bytes): measurement is meaningless", before, after)
		}
		out["bytes_per_task"] = float64(after-before) / float64(n)
		out["total_mib"] = float64(after-before) / (1 << 20)
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
