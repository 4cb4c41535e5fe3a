package duet_test

import (
	"context"
	"sync"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// The CPython comparison of these workloads is bench/run.sh (a separate
// module); BenchmarkLockUncontendedTask in lock_test.go is the Lock's.

// queueMaxsize bounds the benchmark queues as bench/python/queue_two_tasks.py does:
// the producer runs ahead until the queue is full, then the two sides take
// turns, so the figure includes task switches, not only Put and Get.
const queueMaxsize = 128

// BenchmarkQueueThroughputTasks moves ints from one loop task to another
// through a Queue[int] of maxsize 128; one op is one item put and got.
// Goal (issue): >= 5M items/s.
func BenchmarkQueueThroughputTasks(b *testing.B) {
	b.ReportAllocs()
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		q := duet.NewQueue[int](queueMaxsize)
		n := b.N
		b.ResetTimer()
		prod := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			for i := range n {
				if err := q.Put(ctx, i); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		cons := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			sum := 0
			for range n {
				v, err := q.Get(ctx)
				if err != nil {
					return 0, err
				}
				sum += v
			}
			return sum, nil
		})
		if _, err := duet.Await(ctx, prod); err != nil {
			return err
		}
		sum, err := duet.Await(ctx, cons)
		b.StopTimer()
		if err == nil && sum != n*(n-1)/2 {
			b.Fatalf("consumer summed %d, want %d", sum, n*(n-1)/2)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkQueueThroughputMixed moves ints from a loop task to a plain
// goroutine through the same kind of queue: the bridge that asyncio needs
// janus for. One op is one item.
func BenchmarkQueueThroughputMixed(b *testing.B) {
	b.ReportAllocs()
	q := duet.NewQueue[int](queueMaxsize)
	n := b.N
	var wg sync.WaitGroup
	var sum int
	var gerr error
	b.ResetTimer()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range n {
			v, err := q.Get(context.Background())
			if err != nil {
				gerr = err
				return
			}
			sum += v
		}
	}()
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for i := range n {
			if err := q.Put(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
	wg.Wait()
	b.StopTimer()
	if err == nil {
		err = gerr
	}
	if err != nil {
		b.Fatal(err)
	}
	if sum != n*(n-1)/2 {
		b.Fatalf("goroutine summed %d, want %d", sum, n*(n-1)/2)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
