//go:build !race

package aio_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// TestMillionTasks runs 1,000,000 tasks that are all suspended at once, each
// sleeping a random virtual time, and checks every one finished with its
// own value. (Outside the race detector, which caps live goroutines.)
func TestMillionTasksLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 1_000_000
	run(t, func(ctx context.Context) error {
		rng := rand.New(rand.NewPCG(1, 2))
		ts := make([]*aio.Task[int], n)
		for i := range ts {
			d := time.Duration(rng.IntN(100)) * time.Millisecond
			ts[i] = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				return i, duet.Sleep(ctx, d)
			})
		}
		for i, task := range ts {
			v, err := duet.Await(ctx, task)
			if err != nil || v != i {
				return fmt.Errorf("task %d: %v, %v", i, v, err)
			}
		}
		if left := aio.LoopOf(ctx).Tasks(); len(left) != 1 {
			return fmt.Errorf("%d tasks left, want only main", len(left))
		}
		return nil
	})
}

// TestCancellationStormStress cancels 100,000 random waiting tasks while
// others complete, and checks that every task ends, exactly the cancelled
// ones as cancelled, and that none is left waiting.
func TestCancellationStormStress(t *testing.T) {
	const n = 100_000
	run(t, func(ctx context.Context) error {
		rng := rand.New(rand.NewPCG(3, 4))
		// Even tasks await a future of their own: cancelling such a task
		// cancels the future it awaits, as in asyncio.
		gates := make([]*duet.Future[int], n)
		ts := make([]*aio.Task[int], n)
		for i := range ts {
			gates[i] = duet.NewFuture[int]()
			ts[i] = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				if i%2 == 0 {
					return duet.Await(ctx, gates[i])
				}
				return i, duet.Sleep(ctx, time.Duration(rng.IntN(50))*time.Millisecond)
			})
		}
		duet.Sleep(ctx, 0)
		cancelled := make([]bool, n)
		for k := 0; k < n; k++ {
			i := rng.IntN(n)
			if ts[i].Cancel("storm") {
				cancelled[i] = true
			}
			if k%1000 == 0 {
				duet.Sleep(ctx, time.Millisecond)
			}
		}
		for i, g := range gates {
			if err := g.SetResult(7); err != nil && !(cancelled[i] && g.Cancelled()) {
				return fmt.Errorf("gate %d: %v", i, err)
			}
		}
		for i, task := range ts {
			v, err := duet.Await(ctx, task)
			switch {
			case task.Cancelled():
				if !cancelled[i] || !errors.Is(err, duet.ErrCancelled) {
					return fmt.Errorf("task %d cancelled without a request (err %v)", i, err)
				}
			case err != nil:
				return fmt.Errorf("task %d: %v", i, err)
			case i%2 == 0 && v != 7, i%2 == 1 && v != i:
				return fmt.Errorf("task %d: value %d", i, v)
			}
		}
		if left := aio.LoopOf(ctx).Tasks(); len(left) != 1 {
			return fmt.Errorf("%d tasks left waiting", len(left)-1)
		}
		return nil
	})
}
