package main

import (
	"context"
	"fmt"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// queueMaxsize bounds the queue of the queue workload, as in
// ../../python/queue_two_tasks.py: the producer runs ahead until the queue is full,
// then the two tasks take turns, so task switches are part of the figure.
const queueMaxsize = 128

// extraWorkloads returns the workloads of the root package's
// synchronisation primitives.
func extraWorkloads() []workload {
	return []workload{
		{name: "lock_uncontended", about: "uncontended Lock Acquire + Release from a loop task",
			run: lockUncontended, n: 2_000_000, reps: 7, pyN: 200_000, pyReps: 5},
		{name: "queue_two_tasks", about: fmt.Sprintf("Queue[int] (maxsize %d) from a producer task to a consumer task", queueMaxsize),
			run: queueTwoTasks, n: 1_000_000, reps: 7, pyN: 100_000, pyReps: 5},
	}
}

func lockUncontended(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		var l duet.Lock
		start := time.Now()
		for range n {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			if err := l.Release(); err != nil {
				return err
			}
		}
		out["ns_per_op"] = float64(time.Since(start).Nanoseconds()) / float64(n)
		return nil
	})
	return out, err
}

func queueTwoTasks(n int) (map[string]float64, error) {
	out := map[string]float64{}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		q := duet.NewQueue[int](queueMaxsize)
		start := time.Now()
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
		if err != nil {
			return err
		}
		el := time.Since(start)
		if sum != n*(n-1)/2 {
			return fmt.Errorf("consumer summed %d, want %d", sum, n*(n-1)/2)
		}
		out["items_per_s"] = float64(n) / el.Seconds()
		out["ns_per_item"] = float64(el.Nanoseconds()) / float64(n)
		return nil
	})
	return out, err
}
