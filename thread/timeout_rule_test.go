package thread_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// duet's timeout rule on the threading side: a duration <= 0 does not wait,
// duet.NoTimeout waits without limit. The tests run in synctest bubbles:
// synctest.Wait returns once every goroutine is blocked or gone, which
// shows structurally whether a worker or a timer is still waiting.

// WithIdleTimeout(d <= 0): a worker leaves as soon as it finds no task.
func TestPoolIdleTimeoutZeroExitsAtOnce(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			p, err := thread.NewPool(2, thread.WithIdleTimeout(d))
			if err != nil {
				t.Fatalf("WithIdleTimeout(%v): %v", d, err)
			}
			defer p.Shutdown(true, false)
			for i := range 3 {
				if v, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return i, nil })); v != i || err != nil {
					t.Fatalf("task %d: %v, %v", i, v, err)
				}
				synctest.Wait()
				if s := p.Stats(); s.Live != 0 || s.Idle != 0 {
					t.Fatalf("WithIdleTimeout(%v) after task %d: %d live, %d idle workers, want none", d, i, s.Live, s.Idle)
				}
			}
		})
	}
}

// The default, and WithIdleTimeout(duet.NoTimeout), keep idle workers.
func TestPoolIdleTimeoutNoTimeoutKeeps(t *testing.T) {
	for _, opts := range [][]thread.PoolOption{nil, {thread.WithIdleTimeout(duet.NoTimeout)}} {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			p, err := thread.NewPool(2, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Shutdown(true, false)
			if _, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1000 * 24 * time.Hour) // fake time: any idle timer would fire
			synctest.Wait()
			if s := p.Stats(); s.Live != 1 || s.Idle != 1 {
				t.Fatalf("%d options: %d live, %d idle workers, want the one kept", len(opts), s.Live, s.Idle)
			}
		})
	}
}

// Python: Timer(0, fn) and Timer(-1, fn) run fn at once; Timer(None, fn)
// waits for cancel().
func TestTimerTimeoutRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		for _, d := range []time.Duration{0, -time.Second} {
			ran := false
			tm := thread.StartTimer(ctx, d, func(context.Context) error { ran = true; return nil })
			if _, err := tm.Join(ctx); err != nil || !ran || time.Since(start) != 0 {
				t.Errorf("StartTimer(%v): %v, ran %v after %v of fake time", d, err, ran, time.Since(start))
			}
		}
		ran := false
		tm := thread.StartTimer(ctx, duet.NoTimeout, func(context.Context) error { ran = true; return nil })
		time.Sleep(1000 * 24 * time.Hour)
		synctest.Wait()
		if ran || !tm.IsAlive() {
			t.Fatalf("StartTimer(NoTimeout) fired (ran %v, alive %v)", ran, tm.IsAlive())
		}
		if !tm.Cancel() {
			t.Fatal("Cancel of a NoTimeout timer failed")
		}
		if _, err := tm.Join(ctx); !errors.Is(err, duet.ErrCancelled) || ran {
			t.Fatalf("cancelled NoTimeout timer: %v (ran %v)", err, ran)
		}
	})
}

// Python: Thread.join(0) polls. In duet the timeout of Join is its
// context's, and a deadline already passed polls the same way: a finished
// thread gives its outcome, a running one a timeout at once, on a
// goroutine (context.WithTimeout(ctx, 0)) and on a loop task
// (duet.WithTimeout(ctx, 0, ...)).
func TestJoinZeroTimeoutPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		running := thread.Start(context.Background(), "running", func(context.Context) (int, error) { <-release; return 1, nil })
		finished := thread.Start(context.Background(), "finished", func(context.Context) (int, error) { return 2, nil })
		synctest.Wait()
		poll, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		if v, err := finished.Join(poll); v != 2 || err != nil {
			t.Errorf("goroutine, finished thread: %v, %v", v, err)
		}
		if _, err := running.Join(poll); !errors.Is(err, duet.ErrTimeout) || !running.IsAlive() {
			t.Errorf("goroutine, running thread: %v (alive %v), want a timeout", err, running.IsAlive())
		}
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			var v int
			if err := duet.WithTimeout(ctx, 0, func(ctx context.Context) (err error) {
				v, err = finished.Join(ctx)
				return err
			}); v != 2 || err != nil {
				t.Errorf("task, finished thread: %v, %v", v, err)
			}
			err := duet.WithTimeout(ctx, 0, func(ctx context.Context) error {
				_, err := running.Join(ctx)
				return err
			})
			if !errors.Is(err, duet.ErrTimeout) || !running.IsAlive() {
				t.Errorf("task, running thread: %v (alive %v), want a timeout", err, running.IsAlive())
			}
			return nil
		}, aio.WithVirtualClock())
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		running.Join(context.Background())
	})
}
