package aio_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// TestSynctestBubble shows that a program mixing loop tasks and goroutines
// runs inside a testing/synctest bubble with fake time: every duet wait on
// either side blocks durably, so the bubble's clock advances only when all
// of them wait, and an hour of sleeps takes no real time.
func TestSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			fromGoroutine := duet.NewFuture[string]()
			go func() {
				// A goroutine sleeping on the bubble's fake clock.
				duet.Sleep(context.Background(), 30*time.Minute)
				fromGoroutine.SetResult("goroutine done")
			}()
			task := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
				if err := duet.Sleep(ctx, time.Hour); err != nil {
					return "", err
				}
				return "task done", nil
			})
			v1, err := duet.Await(ctx, fromGoroutine)
			if err != nil {
				return err
			}
			at1 := time.Since(start)
			v2, err := duet.Await(ctx, task)
			if err != nil {
				return err
			}
			at2 := time.Since(start)
			if v1 != "goroutine done" || v2 != "task done" || at1 != 30*time.Minute || at2 != time.Hour {
				return fmt.Errorf("%s at %v, %s at %v", v1, at1, v2, at2)
			}
			// A goroutine blocked on a task's future, in the same bubble.
			done := duet.NewFuture[int]()
			other := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 7, duet.Sleep(ctx, time.Minute)
			})
			go func() {
				done.Complete(duet.Await(context.Background(), other))
			}()
			if _, err := duet.Await(ctx, other); err != nil {
				return err
			}
			if v, err := duet.Await(ctx, done); err != nil || v != 7 {
				return fmt.Errorf("goroutine got %d, %v", v, err)
			}
			// Goroutines blocked in duet primitives are durably blocked too:
			// a Lock, a Queue, an Event and a Semaphore shared with a task.
			var lock duet.Lock
			var ev duet.Event
			q := duet.NewQueue[int](1)
			sem, err := duet.NewSemaphore(0)
			if err != nil {
				return err
			}
			if err := lock.Acquire(ctx); err != nil {
				return err
			}
			got := duet.NewFuture[int]()
			go func() {
				lock.Acquire(context.Background()) // blocks until the task releases
				ev.Wait(context.Background())      // blocks until the task sets
				sem.Acquire(context.Background())  // blocks until the task releases a permit
				v, err := q.Get(context.Background())
				lock.Release()
				got.Complete(v, err)
			}()
			t0 := time.Now()
			duet.Sleep(ctx, 10*time.Minute)
			lock.Release()
			duet.Sleep(ctx, 10*time.Minute)
			ev.Set()
			duet.Sleep(ctx, 10*time.Minute)
			sem.Release()
			if err := q.Put(ctx, 42); err != nil {
				return err
			}
			if v, err := duet.Await(ctx, got); err != nil || v != 42 {
				return fmt.Errorf("goroutine got %d, %v", v, err)
			}
			if d := time.Since(t0); d != 30*time.Minute {
				return fmt.Errorf("fake time advanced %v, want 30m", d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
