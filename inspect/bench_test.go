package inspect_test

import (
	"context"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
)

// BenchmarkSnapshot100k takes a snapshot of a running loop with 100,000
// tasks waiting on a Queue.Get (the target: under 50 ms, never
// holding the loop for more than one step). It reports the snapshot's
// time per snapshot (ms/snapshot: the call, from a goroutine, while the
// loop waits for work).
func BenchmarkSnapshot100k(b *testing.B) {
	const n = 100_000
	q := duet.NewQueue[int](0)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for range n {
			aio.Spawn(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) })
		}
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		l := aio.LoopOf(ctx)
		var in time.Duration
		for b.Loop() {
			t0 := time.Now()
			f := duet.NewFuture[aio.LoopInfo]()
			go func() { f.Complete(l.Snapshot(context.Background())) }()
			info, err := duet.Await(ctx, f) // the loop waits meanwhile: the snapshot's callback is its only work
			in += time.Since(t0)
			if err != nil {
				return err
			}
			if len(info.Tasks) != n+1 {
				b.Fatalf("%d tasks in the snapshot, want %d", len(info.Tasks), n+1)
			}
		}
		b.ReportMetric(float64(in.Microseconds())/1000/float64(b.N), "ms/snapshot")
		cancelAll(aio.LoopOf(ctx))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// cancelAll cancels every task of l but the caller.
func cancelAll(l *aio.Loop) {
	for _, t := range l.Tasks() {
		if t.Name() != "main" {
			t.Cancel("end of benchmark")
		}
	}
}

// BenchmarkTake100k is the same through inspect.Take (every loop, threads
// and pools).
func BenchmarkTake100k(b *testing.B) {
	const n = 100_000
	q := duet.NewQueue[int](0)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for range n {
			aio.Spawn(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) })
		}
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		var in time.Duration
		for b.Loop() {
			t0 := time.Now()
			s, err := inspect.Take(ctx) // from the loop's own task: taken in this step
			in += time.Since(t0)
			if err != nil {
				return err
			}
			if len(s.Loops) == 0 {
				b.Fatal("no loop")
			}
		}
		b.ReportMetric(float64(in.Microseconds())/1000/float64(b.N), "ms/snapshot")
		cancelAll(aio.LoopOf(ctx))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
