package duet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// ---- helpers shared by the combinators' tests ----

// vrun runs main as the main task of a loop with a virtual clock.
func vrun(t testing.TB, main func(ctx context.Context) error) {
	t.Helper()
	if err := aio.Run(context.Background(), main, vclock()); err != nil {
		t.Fatal(err)
	}
}

// vepoch is where the tests' virtual clocks start, so that vnow can tell
// the time elapsed.
var vepoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// vclock gives a loop a virtual clock starting at vepoch.
func vclock() aio.Option { return aio.WithClock(aio.NewVirtualClockAt(vepoch)) }

// vnow is the virtual time elapsed since the loop of ctx started.
func vnow(ctx context.Context) time.Duration {
	return aio.LoopOf(ctx).Time().Sub(vepoch)
}

// asTask runs fn as a task that knows itself (for Cancelling/Uncancel),
// awaits it and returns its error.
func asTask(ctx context.Context, fn func(ctx context.Context, self *aio.Task[struct{}]) error) error {
	var self *aio.Task[struct{}]
	self = aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx, self)
	}, aio.WithName("self"))
	_, err := duet.Await(ctx, self)
	return err
}

// tlog records events from tasks and goroutines.
type tlog struct {
	mu sync.Mutex
	ev []string
}

func (l *tlog) add(format string, args ...any) {
	l.mu.Lock()
	l.ev = append(l.ev, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *tlog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ev, " ")
}

func (l *tlog) want(t testing.TB, want string) {
	t.Helper()
	if got := l.String(); got != want {
		t.Errorf("trace\n got: %s\nwant: %s", got, want)
	}
}

// isTimeout reports whether err is a timeout and not a cancellation.
func isTimeout(err error) bool {
	return errors.Is(err, duet.ErrTimeout) && !errors.Is(err, duet.ErrCancelled)
}

// isCancel reports whether err is a cancellation and not a timeout.
func isCancel(err error) bool {
	return errors.Is(err, duet.ErrCancelled) && !errors.Is(err, duet.ErrTimeout)
}

// sleeper returns a task function that sleeps d and returns v.
func sleeper[T any](d time.Duration, v T) func(ctx context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		if err := duet.Sleep(ctx, d); err != nil {
			var zero T
			return zero, err
		}
		return v, nil
	}
}

// ---- WithTimeout / WithDeadline on loop tasks ----

func TestWithTimeoutExpires(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var tm *duet.Timeout
			var inner error
			err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
				tm = duet.TimeoutFrom(ctx)
				if got, want := tm.When(), vepoch.Add(time.Second); !got.Equal(want) {
					t.Errorf("When = %v, want %v", got, want)
				}
				if ctx.Err() != nil {
					t.Errorf("scope context done before the deadline: %v", ctx.Err())
				}
				inner = duet.Sleep(ctx, time.Hour)
				if ctx.Err() != context.DeadlineExceeded {
					t.Errorf("scope ctx.Err() after expiry = %v, want DeadlineExceeded", ctx.Err())
				}
				select {
				case <-ctx.Done():
				default:
					t.Error("scope ctx.Done() not closed after expiry")
				}
				return inner
			})
			if !isCancel(inner) {
				t.Errorf("the wait inside got %v, want a cancellation", inner)
			}
			var te *duet.TimeoutError
			if !errors.As(err, &te) || !isTimeout(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("WithTimeout = %v, want a *TimeoutError that is not a cancellation", err)
			}
			if !errors.Is(te.Cause, duet.ErrCancelled) {
				t.Errorf("TimeoutError.Cause = %v, want the cancellation", te.Cause)
			}
			if vnow(ctx) != time.Second {
				t.Errorf("expired at %v, want 1s", vnow(ctx))
			}
			if !tm.Expired() {
				t.Error("Expired() = false after expiry")
			}
			if n := self.Cancelling(); n != 0 {
				t.Errorf("Cancelling() = %d after the timeout, want 0", n)
			}
			if err := tm.Reschedule(time.Time{}); !errors.Is(err, duet.ErrInvalidState) {
				t.Errorf("Reschedule after exit = %v, want ErrInvalidState", err)
			}
			// The task goes on normally.
			return duet.Sleep(ctx, time.Second)
		})
	})
}

func TestWithTimeoutCompletesInTime(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var tm *duet.Timeout
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			tm = duet.TimeoutFrom(ctx)
			return duet.Sleep(ctx, 999*time.Millisecond)
		})
		if err != nil || tm.Expired() {
			t.Fatalf("WithTimeout = %v, expired %v; want nil, false", err, tm.Expired())
		}
		// The disarmed timer must not fire later.
		if err := duet.Sleep(ctx, time.Hour); err != nil {
			t.Fatalf("sleep after the timeout: %v", err)
		}
		if err := duet.WithTimeout(ctx, time.Second, nil); err == nil {
			t.Error("WithTimeout with a nil function: no error")
		}
		return nil
	})
}

func TestWithTimeoutFunctionError(t *testing.T) {
	boom := errors.New("boom")
	vrun(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { return boom })
		if err != boom {
			t.Errorf("got %v, want boom", err)
		}
		// An error other than the cancellation after expiry passes through.
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			duet.Sleep(ctx, time.Hour)
			return boom
		})
		if err != boom {
			t.Errorf("after expiry got %v, want boom", err)
		}
		return nil
	})
}

func TestWithTimeoutSwallowed(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var tm *duet.Timeout
			err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
				tm = duet.TimeoutFrom(ctx)
				if err := duet.Sleep(ctx, time.Hour); !isCancel(err) {
					t.Errorf("sleep: %v", err)
				}
				return nil // swallow, as "except CancelledError: return x"
			})
			if err != nil || !tm.Expired() {
				t.Errorf("WithTimeout = %v, expired %v; want nil, true", err, tm.Expired())
			}
			if n := self.Cancelling(); n != 0 {
				t.Errorf("Cancelling() = %d, want 0", n)
			}
			return duet.Sleep(ctx, time.Second)
		})
	})
}

// Python:
//
//	async with timeout(2) as outer:
//	    try:
//	        async with timeout(1): await sleep(10)
//	    except TimeoutError: print("inner", current_task().cancelling())
//	    await sleep(10)
//	-> inner 0, then the outer times out (expired True, cancelling 0)
func TestWithTimeoutNestedInnerFirst(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var log tlog
			var outer *duet.Timeout
			err := duet.WithTimeout(ctx, 2*time.Second, func(ctx context.Context) error {
				outer = duet.TimeoutFrom(ctx)
				err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
					if duet.TimeoutFrom(ctx) == outer {
						t.Error("TimeoutFrom returned the outer timeout inside the inner one")
					}
					return duet.Sleep(ctx, 10*time.Second)
				})
				log.add("inner:%v@%v:%d", isTimeout(err), vnow(ctx), self.Cancelling())
				if duet.TimeoutFrom(ctx) != outer {
					t.Error("TimeoutFrom in the outer scope is not the outer timeout")
				}
				return duet.Sleep(ctx, 10*time.Second)
			})
			log.add("outer:%v@%v:%v:%d", isTimeout(err), vnow(ctx), outer.Expired(), self.Cancelling())
			log.want(t, "inner:true@1s:0 outer:true@2s:true:0")
			return nil
		})
	})
}

// Python: the outer timeout (1 s) expires while the inner one (2 s) is
// active: the inner lets the cancellation through, the outer converts it.
func TestWithTimeoutNestedOuterFirst(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var inner, outer *duet.Timeout
		var innerErr error
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			outer = duet.TimeoutFrom(ctx)
			innerErr = duet.WithTimeout(ctx, 2*time.Second, func(ctx context.Context) error {
				inner = duet.TimeoutFrom(ctx)
				return duet.Sleep(ctx, 10*time.Second)
			})
			return innerErr
		})
		if !isCancel(innerErr) || inner.Expired() {
			t.Errorf("inner: %v, expired %v; want a cancellation, false", innerErr, inner.Expired())
		}
		if !isTimeout(err) || !outer.Expired() || vnow(ctx) != time.Second {
			t.Errorf("outer: %v, expired %v at %v; want a timeout at 1s", err, outer.Expired(), vnow(ctx))
		}
		return nil
	})
}

// An outside cancellation and the deadline in the same loop iteration, in
// both orders: the outside cancellation wins (Python: CancelledError, the
// task ends cancelled).
func TestWithTimeoutOutsideCancelSameInstant(t *testing.T) {
	for _, cancelFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("cancelFirst=%v", cancelFirst), func(t *testing.T) {
			vrun(t, func(ctx context.Context) error {
				l := aio.LoopOf(ctx)
				var tm *duet.Timeout
				var inner error
				body := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
					inner = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
						tm = duet.TimeoutFrom(ctx)
						return duet.Sleep(ctx, time.Hour)
					})
					return 0, inner
				})
				if cancelFirst {
					// Scheduled before the body's timeout timer.
					l.CallLater(time.Second, func() { body.Cancel("outside") })
				} else {
					duet.Sleep(ctx, 0) // the body arms its timer first
					l.CallLater(time.Second, func() { body.Cancel("outside") })
				}
				_, err := duet.Await(ctx, body)
				if !isCancel(err) || !body.Cancelled() {
					t.Fatalf("body: %v (cancelled %v), want a cancellation", err, body.Cancelled())
				}
				if !isCancel(inner) || !tm.Expired() {
					t.Errorf("WithTimeout = %v, expired %v; want the cancellation, true", inner, tm.Expired())
				}
				if vnow(ctx) != time.Second {
					t.Errorf("ended at %v, want 1s", vnow(ctx))
				}
				return nil
			})
		})
	}
}

func TestWithTimeoutOutsideCancelFirst(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var tm *duet.Timeout
		body := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
				tm = duet.TimeoutFrom(ctx)
				return duet.Sleep(ctx, time.Hour)
			})
		})
		duet.Sleep(ctx, 500*time.Millisecond)
		body.Cancel("outside")
		_, err := duet.Await(ctx, body)
		var ce *duet.CancelledError
		if !errors.As(err, &ce) || ce.Msg != "outside" || tm.Expired() {
			t.Fatalf("body: %v, expired %v; want the outside cancellation, false", err, tm.Expired())
		}
		return nil
	})
}

func TestWithTimeoutReschedule(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		// Shorten: Python "K timeout at 1".
		err := duet.WithTimeout(ctx, 10*time.Second, func(ctx context.Context) error {
			if err := duet.TimeoutFrom(ctx).Reschedule(l.Time().Add(time.Second)); err != nil {
				return err
			}
			return duet.Sleep(ctx, 5*time.Second)
		})
		if !isTimeout(err) || vnow(ctx) != time.Second {
			t.Errorf("shortened: %v at %v, want a timeout at 1s", err, vnow(ctx))
		}
		// Disable: Python "L ok False".
		start := vnow(ctx)
		var tm *duet.Timeout
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			tm = duet.TimeoutFrom(ctx)
			tm.Reschedule(time.Time{})
			if !tm.When().IsZero() {
				t.Error("When() after disabling is not zero")
			}
			return duet.Sleep(ctx, 2*time.Second)
		})
		if err != nil || tm.Expired() || vnow(ctx)-start != 2*time.Second {
			t.Errorf("disabled: %v, expired %v", err, tm.Expired())
		}
		// Extend, from a task other than the body.
		start = vnow(ctx)
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			tm = duet.TimeoutFrom(ctx)
			helper := aio.Spawn(ctx, func(context.Context) (int, error) {
				return 0, tm.Reschedule(l.Time().Add(3 * time.Second))
			})
			if _, err := duet.Await(ctx, helper); err != nil {
				return err
			}
			return duet.Sleep(ctx, time.Hour)
		})
		if !isTimeout(err) || vnow(ctx)-start != 3*time.Second {
			t.Errorf("extended: %v after %v, want a timeout after 3s", err, vnow(ctx)-start)
		}
		// Reschedule while expiring is refused.
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			duet.Sleep(ctx, time.Hour)
			err := duet.TimeoutFrom(ctx).Reschedule(l.Time().Add(time.Hour))
			if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "expiring") {
				t.Errorf("Reschedule while expiring: %v", err)
			}
			return duet.ErrCancelled
		})
		if !isTimeout(err) {
			t.Errorf("got %v, want a timeout", err)
		}
		return nil
	})
}

// A deadline already passed cancels the task at its next suspension, as
// asyncio's call_soon does; a function that never suspends is not cut.
func TestWithTimeoutPastDeadline(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var tm *duet.Timeout
		err := duet.WithTimeout(ctx, 0, func(ctx context.Context) error {
			tm = duet.TimeoutFrom(ctx)
			return nil
		})
		if err != nil || tm.Expired() {
			t.Errorf("no suspension: %v, expired %v; want nil, false", err, tm.Expired())
		}
		var log tlog
		err = duet.WithDeadline(ctx, aio.LoopOf(ctx).Time().Add(-time.Hour), func(ctx context.Context) error {
			log.add("before")
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
			log.add("after")
			return duet.Sleep(ctx, 0)
		})
		if !isTimeout(err) {
			t.Errorf("past deadline with sleep(0): %v, want a timeout", err)
		}
		log.want(t, "before")
		// No spurious cancellation left behind.
		return duet.Sleep(ctx, time.Second)
	})
}

func TestWithDeadlineZeroMeansNone(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		err := duet.WithDeadline(ctx, time.Time{}, func(ctx context.Context) error {
			tm := duet.TimeoutFrom(ctx)
			if !tm.When().IsZero() {
				t.Error("When() is not zero")
			}
			if _, ok := ctx.Deadline(); ok {
				t.Error("scope context reports a deadline")
			}
			if err := duet.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			tm.Reschedule(aio.LoopOf(ctx).Time().Add(time.Second))
			if d, ok := ctx.Deadline(); !ok || d.IsZero() {
				t.Error("scope context reports no deadline after Reschedule")
			}
			return duet.Sleep(ctx, time.Hour)
		})
		if !isTimeout(err) || vnow(ctx) != time.Hour+time.Second {
			t.Errorf("got %v at %v", err, vnow(ctx))
		}
		if duet.TimeoutFrom(ctx) != nil {
			t.Error("TimeoutFrom outside any timeout is not nil")
		}
		if duet.TimeoutFrom(nil) != nil { //nolint:staticcheck // nil context on purpose
			t.Error("TimeoutFrom(nil) is not nil")
		}
		return nil
	})
}

// Go code inside the scope sees the deadline through the context.
func TestWithTimeoutDerivedContexts(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			fired := make(chan struct{})
			stop := context.AfterFunc(ctx, func() { close(fired) })
			defer stop()
			// Waiting with a derived context works like waiting with
			// the scope's own.
			err := duet.Sleep(child, time.Hour)
			<-child.Done()
			<-fired
			if child.Err() != context.DeadlineExceeded {
				t.Errorf("child.Err() = %v, want DeadlineExceeded", child.Err())
			}
			return err
		})
		if !isTimeout(err) || vnow(ctx) != time.Second {
			t.Errorf("got %v at %v, want a timeout at 1s", err, vnow(ctx))
		}
		return nil
	})
}

func TestWithTimeoutPanicDisarms(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			func() {
				defer func() {
					if r := recover(); r != "boom" {
						t.Errorf("recovered %v, want boom", r)
					}
				}()
				duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
					duet.Sleep(ctx, time.Hour)
					panic("boom")
				})
			}()
			if n := self.Cancelling(); n != 0 {
				t.Errorf("Cancelling() = %d after a panic in an expired timeout", n)
			}
			return duet.Sleep(ctx, time.Hour)
		})
	})
}

// ---- WithTimeout on goroutines ----

func TestWithTimeoutGoroutine(t *testing.T) {
	var tm *duet.Timeout
	err := duet.WithTimeout(context.Background(), 5*time.Millisecond, func(ctx context.Context) error {
		tm = duet.TimeoutFrom(ctx)
		if _, ok := ctx.Deadline(); !ok {
			t.Error("no Deadline on the scope context")
		}
		return duet.Sleep(ctx, time.Hour)
	})
	var te *duet.TimeoutError
	if !errors.As(err, &te) || !isTimeout(err) || !tm.Expired() {
		t.Fatalf("got %v, expired %v; want a *TimeoutError", err, tm.Expired())
	}
	// A Go API returning ctx.Err() is converted too.
	err = duet.WithTimeout(context.Background(), time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("fetch: %w", ctx.Err())
	})
	if !errors.As(err, &te) || !errors.Is(te.Cause, context.DeadlineExceeded) {
		t.Fatalf("Go API: got %v", err)
	}
	// In time.
	err = duet.WithTimeout(context.Background(), time.Hour, func(ctx context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	// Past deadline: the context is done before fn runs.
	err = duet.WithTimeout(context.Background(), -time.Second, func(ctx context.Context) error {
		if ctx.Err() == nil {
			t.Error("past deadline: context not done")
		}
		return ctx.Err()
	})
	if !isTimeout(err) {
		t.Fatalf("past deadline: %v", err)
	}
}

func TestWithTimeoutGoroutineOuterWins(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	err := duet.WithTimeout(parent, time.Hour, func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("outer cancel: got %v, want context.Canceled", err)
	}
	// An outer deadline is the outer's, not ours.
	parent2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	var tm *duet.Timeout
	err = duet.WithTimeout(parent2, time.Hour, func(ctx context.Context) error {
		tm = duet.TimeoutFrom(ctx)
		return duet.Sleep(ctx, time.Hour)
	})
	if !errors.Is(err, duet.ErrTimeout) || tm.Expired() {
		t.Fatalf("outer deadline: %v, expired %v", err, tm.Expired())
	}
}

func TestWithTimeoutGoroutineReschedule(t *testing.T) {
	err := duet.WithTimeout(context.Background(), time.Hour, func(ctx context.Context) error {
		duet.TimeoutFrom(ctx).Reschedule(time.Now().Add(-time.Second))
		if ctx.Err() != context.DeadlineExceeded {
			t.Errorf("ctx.Err() = %v after rescheduling to the past", ctx.Err())
		}
		return ctx.Err()
	})
	if !isTimeout(err) {
		t.Fatalf("got %v", err)
	}
	err = duet.WithTimeout(context.Background(), time.Millisecond, func(ctx context.Context) error {
		duet.TimeoutFrom(ctx).Reschedule(time.Time{})
		return duet.Sleep(ctx, 5*time.Millisecond)
	})
	if err != nil {
		t.Fatalf("disabled: %v", err)
	}
}

// ---- WaitFor ----

func TestWaitForValue(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, sleeper(time.Second, 7))
		v, err := duet.WaitFor(ctx, child, 2*time.Second)
		if v != 7 || err != nil || vnow(ctx) != time.Second {
			t.Errorf("got %v, %v at %v", v, err, vnow(ctx))
		}
		// Done already, any timeout.
		for _, d := range []time.Duration{0, -1, time.Second} {
			if v, err := duet.WaitFor(ctx, child, d); v != 7 || err != nil {
				t.Errorf("done, timeout %v: %v, %v", d, v, err)
			}
		}
		_, err = duet.WaitFor[int](ctx, nil, time.Second)
		if !errors.Is(err, duet.ErrNilAwaitable) {
			t.Errorf("nil: %v", err)
		}
		return nil
	})
}

func TestWaitForTimeoutCancelsAndWaits(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var log tlog
		child := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			err := duet.Sleep(ctx, time.Hour)
			log.add("child:%v@%v", isCancel(err), vnow(ctx))
			// Cleanup that takes time: WaitFor waits for it.
			duet.Sleep(ctx, time.Second)
			log.add("cleaned")
			return 0, err
		})
		_, err := duet.WaitFor(ctx, child, time.Second)
		log.add("waitfor:%v@%v", isTimeout(err), vnow(ctx))
		var te *duet.TimeoutError
		if !errors.As(err, &te) || !errors.Is(te.Cause, duet.ErrCancelled) {
			t.Errorf("got %v, want a TimeoutError caused by the cancellation", err)
		}
		if !child.Cancelled() {
			t.Error("child not cancelled")
		}
		log.want(t, "child:true@1s cleaned waitfor:true@2s")
		return nil
	})
}

// Python: "E swallowed".
func TestWaitForSwallowed(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, 10*time.Second); err != nil {
				return "swallowed", nil
			}
			return "slept", nil
		})
		v, err := duet.WaitFor(ctx, child, time.Second)
		if v != "swallowed" || err != nil {
			t.Errorf("got %q, %v", v, err)
		}
		return nil
	})
}

// Python: wait_for(coro, 0) -> TimeoutError; the awaitable is cancelled.
func TestWaitForZeroTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 5, nil })
		_, err := duet.WaitFor(ctx, child, 0)
		if !isTimeout(err) || !child.Cancelled() {
			t.Errorf("got %v (child cancelled %v), want a timeout", err, child.Cancelled())
		}
		f := duet.NewFuture[int]()
		_, err = duet.WaitFor(ctx, f, -time.Second)
		if !isTimeout(err) || !f.Cancelled() {
			t.Errorf("future: %v (cancelled %v)", err, f.Cancelled())
		}
		// A child that swallows the cancellation gives its value.
		sw := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if duet.Sleep(ctx, time.Hour) != nil {
				return 9, nil
			}
			return 0, nil
		})
		duet.Sleep(ctx, 0)
		v, err := duet.WaitFor(ctx, sw, 0)
		if v != 9 || err != nil {
			t.Errorf("swallowed: %v, %v", v, err)
		}
		return nil
	})
}

// Completion and expiry in the same iteration (Python 3.12+ wait_for, that
// is "async with timeout(t): return await f"): whichever timer comes first,
// the timeout wins, since the task's cancellation lands before it resumes.
func TestWaitForCompletionAtDeadline(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		f := duet.NewFuture[string]()
		l.CallLater(time.Second, func() { f.SetResult("v") }) // before WaitFor's timer
		_, err := duet.WaitFor(ctx, f, time.Second)
		if !isTimeout(err) || f.Cancelled() || !f.IsDone() {
			t.Errorf("completion first: %v (done %v, cancelled %v), want a timeout of a done future", err, f.IsDone(), f.Cancelled())
		}
		f2 := duet.NewFuture[string]()
		var setErr error
		w := aio.Spawn(ctx, func(ctx context.Context) (string, error) { return duet.WaitFor(ctx, f2, time.Second) })
		duet.Sleep(ctx, 0)
		l.CallLater(time.Second, func() { setErr = f2.SetResult("v2") }) // after WaitFor's timer
		_, err = duet.Await(ctx, w)
		if !isTimeout(err) || !f2.Cancelled() || !errors.Is(setErr, duet.ErrInvalidState) {
			t.Errorf("timer first: %v (cancelled %v, set %v)", err, f2.Cancelled(), setErr)
		}
		return nil
	})
}

func TestWaitForOutsideCancel(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, sleeper(time.Hour, 1))
		w := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.WaitFor(ctx, child, time.Minute) })
		duet.Sleep(ctx, time.Second)
		w.Cancel("outside")
		_, err := duet.Await(ctx, w)
		if !isCancel(err) || !w.Cancelled() || !child.Cancelled() {
			t.Errorf("got %v (w cancelled %v, child cancelled %v)", err, w.Cancelled(), child.Cancelled())
		}
		return nil
	})
}

func TestWaitForGoroutine(t *testing.T) {
	f := duet.NewFuture[int]()
	_, err := duet.WaitFor(context.Background(), f, time.Millisecond)
	if !isTimeout(err) || !f.Cancelled() {
		t.Fatalf("got %v (cancelled %v)", err, f.Cancelled())
	}
	f2 := duet.NewFuture[int]()
	go f2.SetResult(3)
	v, err := duet.WaitFor(context.Background(), f2, time.Hour)
	if v != 3 || err != nil {
		t.Fatalf("got %v, %v", v, err)
	}
	// ctx ends first: a cancellation, not a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	f3 := duet.NewFuture[int]()
	go cancel()
	_, err = duet.WaitFor(ctx, f3, time.Hour)
	if !isCancel(err) || !f3.Cancelled() {
		t.Fatalf("ctx cancelled: %v (f3 cancelled %v)", err, f3.Cancelled())
	}
	// A running future refuses cancellation: WaitFor returns, it keeps running.
	f4 := duet.NewFuture[int]()
	f4.SetRunning()
	_, err = duet.WaitFor(context.Background(), f4, time.Millisecond)
	if !isTimeout(err) || f4.IsDone() {
		t.Fatalf("running: %v (done %v)", err, f4.IsDone())
	}
	f4.SetResult(1)
	// Zero timeout on a goroutine.
	f5 := duet.NewFuture[int]()
	if _, err := duet.WaitFor(context.Background(), f5, 0); !isTimeout(err) || !f5.Cancelled() {
		t.Fatalf("zero timeout: %v", err)
	}
}

// A loop task awaited from a goroutine with WaitFor: the task is cancelled
// and waited for. (Real clock: a virtual one would jump past the child's
// sleep while the goroutine's timer runs on the wall clock.)
func TestWaitForGoroutineOnTask(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		var log tlog
		child := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			err := duet.Sleep(ctx, time.Hour)
			log.add("child:%v", isCancel(err))
			return 0, err
		})
		res := duet.NewFuture[error]()
		go func() {
			_, err := duet.WaitFor(context.Background(), child, time.Millisecond)
			log.add("waitfor:%v", isTimeout(err))
			res.SetResult(err)
		}()
		if _, err := duet.Await(ctx, res); err != nil {
			return err
		}
		log.want(t, "child:true waitfor:true")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A task spawned inside a timeout inherits the context's values, not the
// deadline: TimeoutFrom does not hand it the spawner's timeout.
func TestTimeoutFromOtherTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			child := aio.Spawn(ctx, func(ctx context.Context) (bool, error) {
				return duet.TimeoutFrom(ctx) == nil, nil
			})
			none, err := duet.Await(ctx, child)
			if err != nil || !none {
				t.Errorf("child task sees the spawner's timeout (%v)", err)
			}
			if duet.TimeoutFrom(ctx) == nil {
				t.Error("the body does not see its own timeout")
			}
			return nil
		})
	})
}

func BenchmarkWithTimeoutTask(b *testing.B) {
	aio.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { return duet.Sleep(ctx, 0) })
		}
		return nil
	})
}

func BenchmarkWithTimeoutGoroutine(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { return nil })
	}
}

// The body would complete exactly at the deadline. Python: the timeout's
// timer, armed first, fires first: "timeout", then "timeout2 True" for a
// task whose timer was armed before the timeout's.
func TestWithTimeoutCompletionAtDeadline(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Second)
		})
		if !isTimeout(err) {
			t.Errorf("sleep to the deadline: %v, want a timeout", err)
		}
		body := aio.Spawn(ctx, sleeper(time.Second, "v"))
		duet.Sleep(ctx, 0)
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := duet.Await(ctx, body)
			return err
		})
		if !isTimeout(err) || !body.Cancelled() {
			t.Errorf("task done at the deadline: %v (cancelled %v), want a timeout", err, body.Cancelled())
		}
		return nil
	})
}
