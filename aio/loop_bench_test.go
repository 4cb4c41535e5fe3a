package aio_test

import (
	"context"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// The benchmarks here run under the race detector too; the ones that need
// more goroutines than it allows are in million_bench_test.go. The CPython
// comparison of the same workloads is bench/run.sh (a separate module).

func trivial(context.Context) (int, error) { return 1, nil }

// BenchmarkSpawnAwaitEager is BenchmarkSpawnAwait with aio.Eager(): the
// task runs to completion inside Spawn and Await returns without
// suspending, so this is the cost of the task object and its future alone.
func BenchmarkSpawnAwaitEager(b *testing.B) {
	b.ReportAllocs()
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			if _, err := duet.Await(ctx, aio.Spawn(ctx, trivial, aio.Eager())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSpawnBatch spawns 1,000 trivial tasks, then awaits them in
// order: the throughput of task creation when the loop runs many first
// steps per iteration rather than one spawn-await round trip at a time.
func BenchmarkSpawnBatch(b *testing.B) {
	const batch = 1000
	b.ReportAllocs()
	ts := make([]*aio.Task[int], batch)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			for i := range ts {
				ts[i] = aio.Spawn(ctx, trivial)
			}
			for _, t := range ts {
				if _, err := duet.Await(ctx, t); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/task")
}

// BenchmarkSleepZeroPair is BenchmarkSleepZero reported per step (one
// task's Sleep(ctx, 0) and the switch to the other task), with each op a
// round of both tasks.
func BenchmarkSleepZeroPair(b *testing.B) {
	b.ReportAllocs()
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		n := b.N
		body := func(ctx context.Context) (int, error) {
			for range n {
				if err := duet.Sleep(ctx, 0); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}
		b.ResetTimer()
		t1 := aio.Spawn(ctx, body)
		t2 := aio.Spawn(ctx, body)
		if _, err := duet.Await(ctx, t1); err != nil {
			return err
		}
		_, err := duet.Await(ctx, t2)
		b.StopTimer()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/step")
}

// BenchmarkCallSoon measures a loop callback scheduled from a task and the
// task's Sleep(ctx, 0) that lets it run: the cost of the loop's ready queue
// for plain callbacks (Python: loop.call_soon).
func BenchmarkCallSoon(b *testing.B) {
	b.ReportAllocs()
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		ran := 0
		fn := func() { ran++ }
		for b.Loop() {
			for range 100 {
				l.CallSoon(fn)
			}
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		if ran != 100*b.N {
			b.Fatalf("ran %d callbacks, want %d", ran, 100*b.N)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(100*b.N), "ns/callback")
}
