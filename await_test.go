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
