package thread_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// BenchmarkPoolSubmit measures the throughput of tiny tasks: one goroutine
// submits b.N tasks that do nothing but count down a WaitGroup, and the
// benchmark ends when all have run. tasks/s counts submit, queue, run and
// future completion.
func BenchmarkPoolSubmit(b *testing.B) {
	benchTinyTasks(b, func(b *testing.B, ctx context.Context, p *thread.Pool, done func()) func() {
		fn := func(context.Context) (struct{}, error) {
			done()
			return struct{}{}, nil
		}
		return func() { thread.Submit(ctx, p, fn) }
	})
}

// BenchmarkPoolGo is BenchmarkPoolSubmit with Pool.Go: no future per task,
// so B/op is the task's one small allocation.
func BenchmarkPoolGo(b *testing.B) {
	benchTinyTasks(b, func(b *testing.B, ctx context.Context, p *thread.Pool, done func()) func() {
		fn := func(context.Context) error {
			done()
			return nil
		}
		return func() {
			if err := p.Go(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchTinyTasks gives b.N tiny tasks, one per call of the function that
// setup returns (given the sub-benchmark's b), to pools of GOMAXPROCS and 100 workers, and waits until
// every task has called done.
func benchTinyTasks(b *testing.B, setup func(b *testing.B, ctx context.Context, p *thread.Pool, done func()) (give func())) {
	for _, w := range []int{runtime.GOMAXPROCS(0), 100} {
		b.Run("W="+strconv.Itoa(w), func(b *testing.B) {
			p, err := thread.NewPool(w)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Shutdown(true, false)
			var wg sync.WaitGroup
			give := setup(b, context.Background(), p, wg.Done)
			b.ReportAllocs()
			b.ResetTimer()
			wg.Add(b.N)
			for range b.N {
				give()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// BenchmarkPoolSubmitParallel submits from GOMAXPROCS goroutines at once.
func BenchmarkPoolSubmitParallel(b *testing.B) {
	p, err := thread.NewPool(0)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(true, false)
	ctx := context.Background()
	var wg sync.WaitGroup
	fn := func(context.Context) (struct{}, error) {
		wg.Done()
		return struct{}{}, nil
	}
	b.ReportAllocs()
	wg.Add(b.N)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			thread.Submit(ctx, p, fn)
		}
	})
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkPoolSubmitAwait measures a round trip: submit one tiny task and
// wait for its future, one at a time.
func BenchmarkPoolSubmitAwait(b *testing.B) {
	p, err := thread.NewPool(0)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(true, false)
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := duet.Await(ctx, thread.Submit(ctx, p, fn)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}

// BenchmarkPoolIdleMemory measures what an idle pool of 1,000 started
// workers costs (heap and stacks), in MiB.
func BenchmarkPoolIdleMemory(b *testing.B) {
	const workers = 1000
	ctx := context.Background()
	var total float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := thread.NewPool(workers)
		if err != nil {
			b.Fatal(err)
		}
		// Hold every task until all have started, so that each gets a
		// worker of its own.
		var started sync.WaitGroup
		started.Add(workers)
		release := make(chan struct{})
		for range workers {
			thread.Submit(ctx, p, func(context.Context) (struct{}, error) {
				started.Done()
				<-release
				return struct{}{}, nil
			})
		}
		started.Wait()
		close(release)
		for p.Stats().Idle < workers {
			runtime.Gosched()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		used := float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)
		total += used
		p.Shutdown(true, false)
	}
	b.ReportMetric(total/float64(b.N)/(1<<20), "MiB/1000-idle-workers")
}

// BenchmarkPoolQueuedMemory measures what a queued task costs (its future,
// function value and queue slot), in bytes: far less than a goroutine
// (2 KiB of stack at least), since a queued task is a small struct in the
// pool's ring, not a goroutine.
func BenchmarkPoolQueuedMemory(b *testing.B) {
	const queued = 100_000
	ctx := context.Background()
	var total float64
	for b.Loop() {
		p, err := thread.NewPool(1, thread.WithQueueSize(queued))
		if err != nil {
			b.Fatal(err)
		}
		release := make(chan struct{})
		started := make(chan struct{})
		thread.Submit(ctx, p, func(context.Context) (int, error) {
			close(started)
			<-release
			return 0, nil
		})
		<-started
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fn := func(context.Context) (int, error) { return 1, nil }
		for range queued {
			thread.Submit(ctx, p, fn)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		total += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		close(release)
		p.Shutdown(true, false)
	}
	b.ReportMetric(total/float64(b.N)/queued, "B/queued-task")
}

// BenchmarkMap measures thread.Map over b.N tiny tasks with the default
// in-flight bound (twice the pool's size): few tasks in flight, so workers
// often go idle and must be woken again.
func BenchmarkMap(b *testing.B) {
	for _, w := range []int{runtime.GOMAXPROCS(0), 100} {
		b.Run("W="+strconv.Itoa(w), func(b *testing.B) {
			p, err := thread.NewPool(w)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Shutdown(true, false)
			in := func(yield func(int) bool) {
				for i := range b.N {
					if !yield(i) {
						return
					}
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			sum := 0
			for v, err := range thread.Map(context.Background(), p, in, func(_ context.Context, i int) (int, error) { return i + 1, nil }) {
				if err != nil {
					b.Fatal(err)
				}
				sum += v
			}
			b.StopTimer()
			if want := b.N * (b.N + 1) / 2; sum != want {
				b.Fatalf("sum %d, want %d", sum, want)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
