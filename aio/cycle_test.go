package aio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A task that awaits itself is refused at once (CPython: RuntimeError "Task
// cannot await on itself"); it used to recurse through Cancel until the
// goroutine stack overflowed, a fatal error.
func TestAwaitSelfIsRefused(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var self *aio.Task[int]
		ready := duet.NewFuture[struct{}]()
		self = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if _, err := duet.Await(ctx, ready); err != nil {
				return 0, err
			}
			return duet.Await(ctx, self)
		})
		ready.SetResult(struct{}{})
		_, err := duet.Await(ctx, self)
		if !errors.Is(err, duet.ErrInvalidState) || errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("awaiting itself: %v, want ErrInvalidState", err)
		}
		if self.Cancel("late") {
			return errors.New("Cancel of a finished task reported true")
		}
		return nil
	})
}

// A cancellation that comes round an await cycle ends it: each task of the
// cycle stops waiting and ends cancelled, whichever task is cancelled.
func TestCancelAwaitCycle(t *testing.T) {
	for _, n := range []int{2, 3} {
		for victim := range n {
			t.Run(fmt.Sprintf("cycle%d/cancel%d", n, victim), func(t *testing.T) {
				run(t, func(ctx context.Context) error {
					ts := make([]*aio.Task[int], n)
					for i := range ts {
						ts[i] = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
							return duet.Await(ctx, ts[(i+1)%n])
						})
					}
					if err := duet.Sleep(ctx, 0); err != nil { // all are waiting now
						return err
					}
					if !ts[victim].Cancel("stop") {
						return errors.New("Cancel reported false")
					}
					for i, tk := range ts {
						if _, err := duet.Await(ctx, tk); !errors.Is(err, duet.ErrCancelled) {
							return fmt.Errorf("task %d: %v, want a cancellation", i, err)
						}
					}
					return nil
				})
			})
		}
	}
}

// Run ending with an await cycle still waiting cancels it and returns.
func TestRunEndsWithAwaitCycle(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var a, b *aio.Task[int]
		a = aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.Await(ctx, b) })
		b = aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.Await(ctx, a) })
		return duet.Sleep(ctx, 0)
	})
}

// A task gathering itself (directly, or among others) waits until it is
// cancelled, as in CPython; the cancellation then ends it and the gather.
func TestCancelTaskGatheringItself(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var self *aio.Task[int]
		other := duet.NewFuture[int]()
		self = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			vs, err := duet.Gather(ctx, self, other)
			return len(vs), err
		})
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		self.Cancel("stop")
		if _, err := duet.Await(ctx, self); !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("self-gathering task: %v, want a cancellation", err)
		}
		if !other.Cancelled() {
			return errors.New("the gather's other child was not cancelled")
		}
		return nil
	})
}
