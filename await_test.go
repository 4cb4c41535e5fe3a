package duet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A task awaiting a future that runs elsewhere (marked running, as a pool
// job is once a worker starts it) stops waiting when it is cancelled, and
// the future is left to its producer, as with asyncio.wrap_future. Under
// WaitFor the timeout fires on time.
func TestAwaitRunningFutureDetachesOnCancel(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		start := l.Time()
		// The producers finish after a second of loop time, so that a
		// waiter that wrongly waits for them ends too (and fails below).
		f, g := duet.NewFuture[int](), duet.NewFuture[int]()
		f.SetRunning()
		g.SetRunning()
		l.CallLater(time.Second, func() { f.SetResult(1); g.SetResult(2) })
		waiter := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.Await(ctx, f) })
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		waiter.Cancel("stop")
		if _, err := duet.Await(ctx, waiter); !errors.Is(err, duet.ErrCancelled) {
			t.Errorf("cancelled waiter: %v, want a cancellation", err)
		}
		if f.IsDone() || l.Time() != start {
			t.Errorf("after the cancelled wait: future done %v, loop time +%v; want the future running, no time passed", f.IsDone(), l.Time().Sub(start))
		}
		if _, err := duet.WaitFor(ctx, g, 100*time.Millisecond); !errors.Is(err, duet.ErrTimeout) {
			t.Errorf("WaitFor on a running future: %v, want a timeout", err)
		}
		if el := l.Time().Sub(start); el != 100*time.Millisecond {
			t.Errorf("WaitFor returned after %v of loop time, want 100ms", el)
		}
		return nil
	}, vclock())
	if err != nil {
		t.Fatal(err)
	}
}

// A Sleep that ctx's deadline ends returns a timeout, on a goroutine and on
// a loop task, whether the deadline passes during the sleep or had already
// passed: an error matching ErrTimeout (and context.DeadlineExceeded), not
// ErrCancelled, as asyncio.sleep inside asyncio.timeout raises TimeoutError.
func TestSleepDeadlineIsTimeout(t *testing.T) {
	sleepers := map[string]func(deadline time.Time) error{
		"goroutine": func(deadline time.Time) error {
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			return duet.Sleep(ctx, time.Hour)
		},
		"task": func(deadline time.Time) error {
			return aio.Run(context.Background(), func(ctx context.Context) error {
				ctx, cancel := context.WithDeadline(ctx, deadline) // still the task's context
				defer cancel()
				return duet.Sleep(ctx, time.Hour)
			})
		},
	}
	for where, sleep := range sleepers {
		for name, deadline := range map[string]time.Time{
			"already passed":           time.Now().Add(-time.Second),
			"passing during the sleep": time.Now().Add(time.Millisecond),
		} {
			done := make(chan error, 1)
			go func() { done <- sleep(deadline) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second): // a hang guard, not a timing check
				t.Fatalf("%s, deadline %s: Sleep(ctx, time.Hour) did not end", where, name)
			}
			if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, duet.ErrCancelled) {
				t.Errorf("%s, deadline %s: Sleep = %v, want a timeout (ErrTimeout, not ErrCancelled)", where, name, err)
			}
		}
	}
}
