package thread_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// collectable reports whether the value that armed collected becomes
// garbage: it runs GC a bounded number of times, giving the cleanup
// goroutine a chance to run after each. No timing is asserted: a value that
// is still reachable never becomes collectable, however long one waits.
func collectable(collected <-chan struct{}) bool {
	for range 50 {
		runtime.GC()
		select {
		case <-collected:
			return true
		case <-time.After(5 * time.Millisecond):
		}
	}
	return false
}

// captured returns a function capturing a fresh 1 KiB value (large enough
// to get an allocation of its own), and a channel closed once that value
// has been collected.
func captured(body func() (int, error)) (func(context.Context) (int, error), <-chan struct{}) {
	big := new([1024]byte)
	big[0] = 1
	collected := make(chan struct{})
	runtime.AddCleanup(big, func(ch chan struct{}) { close(ch) }, collected)
	return func(context.Context) (int, error) {
		v, err := body()
		return v + int(big[0]) - 1, err
	}, collected
}

// A completed future does not keep its function, or what the function
// captured, alive: whether the task returned, panicked, was cancelled while
// queued or had its context done before it started.
func TestPoolCompletedFutureDropsFunction(t *testing.T) {
	ctx := guard(t)
	boom := errors.New("boom")
	cases := []struct {
		name string
		run  func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int]
	}{
		{"returned", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			f := thread.Submit(ctx, p, fn)
			if v, err := duet.Await(ctx, f); v != 7 || err != nil {
				t.Fatalf("got %v %v, want 7", v, err)
			}
			return f
		}},
		{"failed", nil},
		{"panicked", nil},
		{"cancelled while queued", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			f := thread.Submit(ctx, p, fn)
			if !f.Cancel("test") {
				t.Fatal("could not cancel a queued task")
			}
			close(b.release)
			// The worker pops the cancelled task after the blocker.
			if _, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })); err != nil {
				t.Fatal(err)
			}
			return f
		}},
		{"context done before start", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			cctx, cancel := context.WithCancel(ctx)
			f := thread.Submit(cctx, p, fn)
			cancel()
			close(b.release)
			if _, err := duet.Await(ctx, f); !errors.Is(err, duet.ErrCancelled) {
				t.Fatalf("got %v, want a cancellation", err)
			}
			return f
		}},
		{"shut down with cancelFutures", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			f := thread.Submit(ctx, p, fn)
			p.Shutdown(false, true)
			close(b.release)
			p.Shutdown(true, false)
			if !f.Cancelled() {
				t.Fatal("the queued task was not cancelled")
			}
			return f
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPool(t, 1)
			var body func() (int, error)
			run := c.run
			switch c.name {
			case "failed":
				body = func() (int, error) { return 0, boom }
			case "panicked":
				body = func() (int, error) { panic("boom") }
			default:
				body = func() (int, error) { return 7, nil }
			}
			if run == nil {
				run = func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
					f := thread.Submit(ctx, p, fn)
					if _, err := duet.Await(ctx, f); err == nil {
						t.Fatal("want an error")
					}
					return f
				}
			}
			fn, collected := captured(body)
			f := run(t, p, fn)
			fn = nil
			if !collectable(collected) {
				t.Fatal("the completed future keeps its function's captured value alive")
			}
			runtime.KeepAlive(f)
		})
	}
}
