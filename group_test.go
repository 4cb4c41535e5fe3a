package duet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// groupKit is the twin of the Python scripts in the tests' comments.
type groupKit struct {
	log tlog
	t0  time.Duration
}

func (k *groupKit) at(ctx context.Context) time.Duration { return vnow(ctx) - k.t0 }

func (k *groupKit) sl(name string, d time.Duration) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, d); err != nil {
			k.log.add("%s cancelled@%v", name, k.at(ctx))
			return "", err
		}
		k.log.add("%s done@%v", name, k.at(ctx))
		return name, nil
	}
}

func (k *groupKit) fail(name string, d time.Duration, err error) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if e := duet.Sleep(ctx, d); e != nil {
			k.log.add("%s cancelled@%v", name, k.at(ctx))
			return "", e
		}
		k.log.add("%s fails@%v", name, k.at(ctx))
		return "", err
	}
}

// Python (3.12+):
//
//	async with TaskGroup() as tg:
//	    tg.create_task(fail('a', 1, ValueError)); tg.create_task(fail('b', 1, KeyError))
//	    tg.create_task(sl('c', 5)); await sleep(10)   # body
//	except* ValueError / except* KeyError: each sees one
//	-> a fails@1 b fails@1 c cancelled@1 body cancelled@1 VE KE after cancelling=0 slept@2
func TestGroupTwoFailures(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var k groupKit
			errA, errB := errors.New("a"), errors.New("b")
			err := func() error {
				g, gctx := duet.NewGroup(ctx)
				duet.Go(g, k.fail("a", time.Second, errA))
				duet.Go(g, k.fail("b", time.Second, errB))
				c := duet.Go(g, k.sl("c", 5*time.Second))
				if err := duet.Sleep(gctx, 10*time.Second); err != nil {
					k.log.add("body cancelled@%v", k.at(ctx))
					if gctx.Err() == nil {
						t.Error("group context not done after a failure")
					}
				}
				werr := g.Wait()
				if !c.Cancelled() {
					t.Error("sibling not cancelled")
				}
				return werr
			}()
			if errors.Is(err, errA) {
				k.log.add("VE")
			}
			if errors.Is(err, errB) {
				k.log.add("KE")
			}
			if isCancel(err) {
				t.Errorf("a sibling's cancellation was collected: %v", err)
			}
			k.log.add("after cancelling=%d", self.Cancelling())
			if err := duet.Sleep(ctx, time.Second); err != nil {
				return err
			}
			k.log.add("slept@%v", k.at(ctx))
			k.log.want(t, "a fails@1s b fails@1s c cancelled@1s body cancelled@1s VE KE after cancelling=0 slept@2s")
			if msg := err.Error(); !strings.Contains(msg, "a") || !strings.Contains(msg, "b") {
				t.Errorf("message %q does not name both errors", msg)
			}
			return nil
		})
	})
}

func TestGroupSuccess(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		g, _ := duet.NewGroup(ctx)
		a := duet.Go(g, sleeper(time.Second, 1))
		b := duet.Go(g, sleeper(2*time.Second, "two"))
		if err := g.Wait(); err != nil {
			return err
		}
		va, _ := a.Result()
		vb, _ := b.Result()
		if va != 1 || vb != "two" || vnow(ctx) != 2*time.Second {
			t.Errorf("got %v %v at %v", va, vb, vnow(ctx))
		}
		if a.Cancel("late") || a.Cancelled() {
			t.Error("Cancel of a finished child accepted")
		}
		// Wait again: the same result, at once.
		if err := g.Wait(); err != nil {
			t.Errorf("second Wait: %v", err)
		}
		// An empty group.
		g2, _ := duet.NewGroup(ctx)
		return g2.Wait()
	})
}

// Python: an outside cancel while the body waits in __aexit__ -> children
// cancelled, CancelledError propagates: "c cancelled@1 b cancelled True@1".
func TestGroupExternalCancelInWait(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k groupKit
		var waitErr error
		b := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			g, _ := duet.NewGroup(ctx)
			duet.Go(g, k.sl("c", 5*time.Second))
			waitErr = g.Wait()
			return 0, waitErr
		})
		duet.Sleep(ctx, time.Second)
		b.Cancel("outside")
		_, err := duet.Await(ctx, b)
		k.log.add("b cancelled %v@%v", isCancel(err) && b.Cancelled(), k.at(ctx))
		k.log.want(t, "c cancelled@1s b cancelled true@1s")
		var ce *duet.CancelledError
		if !errors.As(waitErr, &ce) || ce.Msg != "outside" {
			t.Errorf("Wait returned %v, want the outside cancellation", waitErr)
		}
		return nil
	})
}

// Python: an outside cancel while the body runs -> body cancelled, then the
// children: "body cancelled@1 c cancelled@1 b cancelled True@1".
func TestGroupExternalCancelInBody(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k groupKit
		b := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			g, gctx := duet.NewGroup(ctx)
			duet.Go(g, k.sl("c", 5*time.Second))
			if err := duet.Sleep(gctx, 10*time.Second); err != nil {
				k.log.add("body cancelled@%v", k.at(ctx))
			}
			return 0, g.Wait()
		})
		duet.Sleep(ctx, time.Second)
		b.Cancel("")
		_, err := duet.Await(ctx, b)
		k.log.add("b cancelled %v@%v", isCancel(err) && b.Cancelled(), k.at(ctx))
		k.log.want(t, "body cancelled@1s c cancelled@1s b cancelled true@1s")
		return nil
	})
}

// Python: a group inside a timeout: "c cancelled@1 timeout@1".
func TestGroupInsideTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k groupKit
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			g, _ := duet.NewGroup(ctx)
			duet.Go(g, k.sl("c", 5*time.Second))
			return g.Wait()
		})
		if isTimeout(err) {
			k.log.add("timeout@%v", k.at(ctx))
		}
		k.log.want(t, "c cancelled@1s timeout@1s")
		return nil
	})
}

// Python: a child fails while the body waits inside a timeout scope: the
// scope lets the group's cancellation through (not a timeout), the group
// reports the failure: "a fails@1 body cancelled@1 VE cancelling=0".
func TestGroupFailureThroughTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var k groupKit
			errA := errors.New("a")
			g, gctx := duet.NewGroup(ctx)
			duet.Go(g, k.fail("a", time.Second, errA))
			err := duet.WithTimeout(gctx, 10*time.Second, func(ctx context.Context) error {
				return duet.Sleep(ctx, 100*time.Second)
			})
			if isTimeout(err) {
				k.log.add("wrong timeout")
			} else if isCancel(err) {
				k.log.add("body cancelled@%v", k.at(ctx))
			}
			if err := g.Wait(); errors.Is(err, errA) {
				k.log.add("VE cancelling=%d", self.Cancelling())
			}
			k.log.want(t, "a fails@1s body cancelled@1s VE cancelling=0")
			return nil
		})
	})
}

// The timeout expires and a child fails at the same instant (Python 3.12+):
// both cancellations are accounted for, each converted or withdrawn by its
// owner: "timeout@1 a fails@1 after VE cancelling=0".
func TestGroupFailureAndTimeoutSameInstant(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			var k groupKit
			errA := errors.New("a")
			g, gctx := duet.NewGroup(ctx)
			duet.Go(g, k.fail("a", time.Second, errA))
			err := duet.WithTimeout(gctx, time.Second, func(ctx context.Context) error {
				return duet.Sleep(ctx, 100*time.Second)
			})
			if isTimeout(err) {
				k.log.add("timeout@%v", k.at(ctx))
			}
			if err := duet.Sleep(gctx, 0); err == nil {
				k.log.add("after")
			}
			if err := g.Wait(); errors.Is(err, errA) {
				k.log.add("VE cancelling=%d", self.Cancelling())
			}
			k.log.want(t, "timeout@1s a fails@1s after VE cancelling=0")
			return duet.Sleep(ctx, time.Second)
		})
	})
}

// gh-116720: an outside cancellation and the group's own, in the same
// iteration, while the body waits in Wait. The failure is reported, and the
// outside cancellation stays pending: the body's next wait is cancelled.
func TestGroupExternalAndInternalCancel(t *testing.T) {
	for _, outsideFirst := range []bool{false, true} {
		name := "failure first"
		if outsideFirst {
			name = "outside first"
		}
		t.Run(name, func(t *testing.T) {
			vrun(t, func(ctx context.Context) error {
				var k groupKit
				errA := errors.New("a")
				var waitErr, nextErr error
				var cancelling int
				var b *aio.Task[int]
				l := aio.LoopOf(ctx)
				b = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
					g, _ := duet.NewGroup(ctx)
					if outsideFirst {
						l.CallLater(time.Second, func() { b.Cancel("outside") })
					}
					duet.Go(g, k.fail("a", time.Second, errA))
					duet.Go(g, k.sl("c", 5*time.Second))
					waitErr = g.Wait()
					cancelling = b.Cancelling()
					nextErr = duet.Sleep(ctx, time.Second)
					return 0, nextErr
				})
				if !outsideFirst {
					// b, then the child, have run once: the child's
					// timer comes first.
					duet.Sleep(ctx, 0)
					duet.Sleep(ctx, 0)
					l.CallLater(time.Second, func() { b.Cancel("outside") })
				}
				duet.Await(ctx, b)
				if outsideFirst {
					// The outside cancellation reached Wait before the
					// failure: the child was cancelled, nothing failed.
					if !isCancel(waitErr) {
						t.Errorf("Wait = %v, want the cancellation", waitErr)
					}
					return nil
				}
				if !errors.Is(waitErr, errA) || isCancel(waitErr) {
					t.Errorf("Wait = %v, want the failure only", waitErr)
				}
				if cancelling != 1 {
					t.Errorf("Cancelling() after Wait = %d, want 1 (the outside one)", cancelling)
				}
				var ce *duet.CancelledError
				if !errors.As(nextErr, &ce) || ce.Msg != "outside" || !b.Cancelled() {
					t.Errorf("next wait = %v, want the outside cancellation delivered again", nextErr)
				}
				return nil
			})
		})
	}
}

// The outside cancellation and the group's own both pending on the body
// when it calls Wait with no children left: the failure is reported, the
// count is restored, and the outside cancellation is not lost.
func TestGroupOwnAndOutsideCancelPending(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		errA := errors.New("a")
		var waitErr, nextErr error
		var cancelling int
		var b *aio.Task[int]
		l := aio.LoopOf(ctx)
		b = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			g, gctx := duet.NewGroup(ctx)
			duet.Go(g, func(ctx context.Context) (int, error) {
				duet.Sleep(ctx, time.Second)
				// Runs on the loop just before the group hears of
				// the failure, in the same iteration.
				l.CallSoon(func() { b.Cancel("outside") })
				return 0, errA
			})
			duet.Sleep(gctx, time.Hour)
			waitErr = g.Wait()
			cancelling = b.Cancelling()
			nextErr = duet.Sleep(ctx, 0)
			return 0, nextErr
		})
		duet.Await(ctx, b)
		if !errors.Is(waitErr, errA) || isCancel(waitErr) {
			t.Errorf("Wait = %v, want the failure", waitErr)
		}
		if cancelling != 1 {
			t.Errorf("Cancelling() = %d, want 1: the outside cancellation must stay", cancelling)
		}
		if !isCancel(nextErr) || !b.Cancelled() {
			t.Errorf("next wait = %v, want a cancellation", nextErr)
		}
		return nil
	})
}

func TestGroupPanic(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		g, _ := duet.NewGroup(ctx)
		f := duet.Go(g, func(ctx context.Context) (int, error) { panic("boom") })
		other := duet.Go(g, sleeper(time.Hour, 1))
		err := g.Wait()
		var pe *duet.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "group_test.go") {
			t.Fatalf("got %v, want a *PanicError with the child's stack", err)
		}
		if _, ferr := f.Result(); !errors.As(ferr, &pe) {
			t.Errorf("the child's future: %v", ferr)
		}
		if !other.Cancelled() {
			t.Error("sibling not cancelled after the panic")
		}
		// A panic with an error value: errors.Is sees it.
		sentinel := errors.New("sentinel")
		g2, _ := duet.NewGroup(ctx)
		duet.Go(g2, func(ctx context.Context) (int, error) { panic(sentinel) })
		if err := g2.Wait(); !errors.Is(err, sentinel) {
			t.Errorf("panic(error): %v", err)
		}
		return nil
	})
}

// Python: create_task on a finished group -> "is finished"; during the
// abort -> "is shutting down".
func TestGroupGoRefused(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		g, _ := duet.NewGroup(ctx)
		if err := g.Wait(); err != nil {
			return err
		}
		f := duet.Go(g, sleeper(time.Second, 1))
		if _, err := f.Result(); !errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "Wait has returned") {
			t.Errorf("after Wait: %v", err)
		}
		if f.Cancel("") {
			t.Error("Cancel of a refused child accepted")
		}
		g2, gctx := duet.NewGroup(ctx)
		duet.Go(g2, failAfter(0, errors.New("a")))
		var late *duet.Future[int]
		if duet.Sleep(gctx, time.Hour) != nil {
			late = duet.Go(g2, sleeper(time.Second, 1))
		}
		g2.Wait()
		if late == nil {
			t.Fatal("body not cancelled")
		}
		if _, err := late.Result(); !errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("while aborting: %v", err)
		}
		// Bad input.
		if _, err := duet.Go[int](nil, sleeper(0, 1)).Result(); err == nil {
			t.Error("nil group: no error")
		}
		if _, err := duet.Go[int](g, nil).Result(); err == nil {
			t.Error("nil function: no error")
		}
		var ng *duet.Group
		if ng.Wait() == nil {
			t.Error("nil group Wait: no error")
		}
		return nil
	})
}

// Python: children may start children while the group waits:
// "late done@2 end@2".
func TestGroupChildrenAddedWhileWaiting(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k groupKit
		g, _ := duet.NewGroup(ctx)
		duet.Go(g, func(ctx context.Context) (string, error) {
			duet.Sleep(ctx, time.Second)
			duet.Go(g, k.sl("late", time.Second))
			return "s", nil
		})
		if err := g.Wait(); err != nil {
			return err
		}
		k.log.add("end@%v", k.at(ctx))
		k.log.want(t, "late done@2s end@2s")
		return nil
	})
}

// Cancelling one child's future cancels that child only; its cancellation
// is not an error of the group.
func TestGroupCancelOneChild(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		g, _ := duet.NewGroup(ctx)
		a := duet.Go(g, sleeper(time.Hour, 1))
		b := duet.Go(g, sleeper(time.Second, 2))
		a.Cancel("just a") // before the task even started
		if err := g.Wait(); err != nil {
			t.Errorf("Wait = %v", err)
		}
		if !a.Cancelled() || b.Cancelled() {
			t.Errorf("a cancelled %v, b cancelled %v", a.Cancelled(), b.Cancelled())
		}
		return nil
	})
}

// Nested groups: the inner group's failure aborts the inner body only; the
// outer group sees the inner body's error as a failure of its child.
func TestGroupNested(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			errA := errors.New("a")
			outer, _ := duet.NewGroup(ctx)
			sib := duet.Go(outer, sleeper(time.Hour, "sib"))
			inner := duet.Go(outer, func(ctx context.Context) (string, error) {
				g, gctx := duet.NewGroup(ctx)
				duet.Go(g, failAfter(time.Second, errA))
				duet.Sleep(gctx, time.Hour)
				return "", g.Wait()
			})
			err := outer.Wait()
			if !errors.Is(err, errA) || !sib.Cancelled() {
				t.Errorf("outer Wait = %v, sibling cancelled %v", err, sib.Cancelled())
			}
			if _, ierr := inner.Result(); !errors.Is(ierr, errA) {
				t.Errorf("inner body: %v", ierr)
			}
			if self.Cancelling() != 0 {
				t.Errorf("Cancelling() = %d", self.Cancelling())
			}
			return duet.Sleep(ctx, time.Second)
		})
	})
}

func TestGroupConcurrentWait(t *testing.T) {
	g, _ := duet.NewGroup(context.Background())
	release := make(chan struct{})
	duet.Go(g, func(ctx context.Context) (int, error) { <-release; return 0, nil })
	res := make(chan error, 2)
	go func() { res <- g.Wait() }()
	go func() { res <- g.Wait() }()
	// The child cannot finish yet: the first result is the refused one.
	if err := <-res; !errors.Is(err, duet.ErrInvalidState) {
		t.Fatalf("concurrent Wait = %v, want ErrInvalidState", err)
	}
	close(release)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// ---- goroutines ----

func TestGroupGoroutines(t *testing.T) {
	g, gctx := duet.NewGroup(context.Background())
	var n atomic.Int32
	for i := range 5 {
		duet.Go(g, func(ctx context.Context) (int, error) {
			n.Add(1)
			return i, nil
		})
	}
	if err := g.Wait(); err != nil || n.Load() != 5 {
		t.Fatalf("got %v, %d", err, n.Load())
	}
	if gctx.Err() == nil {
		t.Error("group context not done after Wait")
	}
}

func TestGroupGoroutinesFailure(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	g, gctx := duet.NewGroup(context.Background())
	started := make(chan struct{})
	all := make(chan struct{}) // every child is in the group before the first failure
	duet.Go(g, func(ctx context.Context) (int, error) { <-started; <-all; return 0, errA })
	slow := duet.Go(g, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done() // cancelled by the failure
		return 0, ctx.Err()
	})
	sl := duet.Go(g, func(ctx context.Context) (int, error) {
		err := duet.Sleep(ctx, time.Hour)
		return 0, err
	})
	duet.Go(g, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, errB // a failure that happens during the abort is collected too
	})
	close(all)
	<-gctx.Done()
	err := g.Wait()
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Fatalf("Wait = %v, want a and b", err)
	}
	if _, serr := slow.Result(); !errors.Is(serr, context.Canceled) {
		t.Errorf("slow child: %v", serr)
	}
	if _, serr := sl.Result(); !isCancel(serr) {
		t.Errorf("sleeping child: %v", serr)
	}
	if errors.Is(err, duet.ErrCancelled) || errors.Is(err, context.Canceled) {
		t.Errorf("a cancellation was collected: %v", err)
	}
}

func TestGroupGoroutinesParentCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g, _ := duet.NewGroup(ctx)
	running := make(chan struct{})
	c := duet.Go(g, func(ctx context.Context) (int, error) {
		close(running)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-running
	go cancel()
	err := g.Wait()
	if !isCancel(err) || !c.IsDone() {
		t.Fatalf("Wait = %v (child done %v)", err, c.IsDone())
	}
	// Parent already done at Wait.
	g2, _ := duet.NewGroup(ctx)
	duet.Go(g2, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, nil })
	if err := g2.Wait(); !isCancel(err) {
		t.Fatalf("parent done before Wait: %v", err)
	}
	// Cancelling a goroutine child's future cancels its context.
	g3, _ := duet.NewGroup(context.Background())
	f := duet.Go(g3, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, duet.Sleep(ctx, 0) })
	if !f.Cancel("stop") {
		t.Fatal("Cancel refused")
	}
	if err := g3.Wait(); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if _, ferr := f.Result(); !isCancel(ferr) || !f.Cancelled() {
		t.Fatalf("child: %v", ferr)
	}
	if f.Cancel("again") {
		t.Fatal("Cancel of a finished child accepted")
	}
}

func TestGroupGoroutinePanic(t *testing.T) {
	g, _ := duet.NewGroup(context.Background())
	duet.Go(g, func(ctx context.Context) (int, error) { panic("boom") })
	var pe *duet.PanicError
	if err := g.Wait(); !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("got %v", err)
	}
}

// A goroutine makes a group on a loop's context: the children are tasks of
// the loop, the goroutine blocks in Wait.
func TestGroupGoroutineBodyLoopChildren(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		errA := errors.New("a")
		res := duet.NewFuture[error]()
		var onLoop atomic.Int32
		go func() {
			g, _ := duet.NewGroup(l.Context())
			duet.Go(g, func(ctx context.Context) (int, error) {
				if _, ok := aio.CurrentTask(ctx); ok {
					onLoop.Add(1)
				}
				return 0, duet.Sleep(ctx, time.Second)
			})
			other := duet.Go(g, func(ctx context.Context) (int, error) {
				if _, ok := aio.CurrentTask(ctx); ok {
					onLoop.Add(1)
				}
				duet.Sleep(ctx, 2*time.Second)
				return 0, errA
			})
			third := duet.Go(g, sleeper(time.Hour, 3))
			err := g.Wait()
			if !other.IsDone() || !third.Cancelled() {
				err = errors.New("Wait returned before the children finished, or without cancelling them")
			}
			res.SetResult(err)
		}()
		err, _ := duet.Await(ctx, res)
		if !errors.Is(err, errA) || onLoop.Load() != 2 {
			t.Errorf("Wait = %v, %d children on the loop", err, onLoop.Load())
		}
		return nil
	})
}

// A child task destroyed by the loop's Close (its body never called Wait)
// ends its future as cancelled instead of leaving it pending.
func TestGroupChildDestroyedWithLoop(t *testing.T) {
	var reports []string
	l := aio.New(vclock(), aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec.Message)
	}))
	var child *duet.Future[int]
	_, err := aio.RunUntilComplete(l, aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		g, _ := duet.NewGroup(ctx)
		child = duet.Go(g, sleeper(time.Hour, 1))
		return 0, duet.Sleep(ctx, time.Second)
	}))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	_, cerr := child.Result()
	if !child.Cancelled() || !strings.Contains(fmt.Sprint(cerr), "destroyed") {
		t.Fatalf("child: %v (cancelled %v)", cerr, child.Cancelled())
	}
	if len(reports) != 1 || !strings.Contains(reports[0], "destroyed") {
		t.Errorf("loop reports: %q", reports)
	}
}

func BenchmarkGroupTasks(b *testing.B) {
	aio.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			g, _ := duet.NewGroup(ctx)
			for range 10 {
				duet.Go(g, func(context.Context) (int, error) { return 1, nil })
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}

// Cancel stops children and body; Wait reports no cancellation and the body
// task is not left cancelled (Python 3.15 TaskGroup.cancel()).
func TestGroupCancel(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		return asTask(ctx, func(ctx context.Context, self *aio.Task[struct{}]) error {
			bodyErr := errors.New("body")
			g, gctx := duet.NewGroup(ctx)
			c := duet.Go(g, sleeper(time.Hour, 1))
			duet.Sleep(gctx, time.Second)
			g.Cancel()
			g.Cancel() // idempotent
			if gctx.Err() == nil {
				t.Error("group context not done after Cancel")
			}
			err := errors.Join(bodyErr, g.Wait())
			if err == nil || err.Error() != "body" || !c.Cancelled() {
				t.Errorf("got %v (child cancelled %v)", err, c.Cancelled())
			}
			if self.Cancelling() != 0 {
				t.Errorf("Cancelling() = %d", self.Cancelling())
			}
			g.Cancel() // after Wait: nothing
			// The body was not left with a pending cancellation, even
			// though Wait had nothing to wait for.
			g2, _ := duet.NewGroup(ctx)
			g2.Cancel()
			if err := g2.Wait(); err != nil {
				t.Errorf("empty group: %v", err)
			}
			return duet.Sleep(ctx, time.Second)
		})
	})
}

// Cancel from another goroutine, on a group of goroutines.
func TestGroupCancelGoroutines(t *testing.T) {
	g, _ := duet.NewGroup(context.Background())
	started := make(chan struct{})
	duet.Go(g, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	go g.Cancel()
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v", err)
	}
}

// ---- who may call Wait ----

// hangGuard runs scenario on a goroutine and fails the test if it has not
// returned after a generous real-time bound: the scenarios below run on a
// virtual clock and end at once unless something deadlocks.
func hangGuard(t *testing.T, scenario func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- scenario() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scenario hung (the loop is frozen)")
	}
}

// Only the body may wait for its group (Python: only the task that entered
// "async with TaskGroup()" leaves it). Another task of the loop that calls
// Wait is refused at once with ErrInvalidState, which used to block the
// loop's goroutine and freeze the loop for good; the refusal changes
// nothing, and once the body's Wait has returned, any caller gets its
// result.
func TestGroupWaitFromAnotherTask(t *testing.T) {
	hangGuard(t, func() error {
		return aio.Run(context.Background(), func(ctx context.Context) error {
			errA := errors.New("a")
			g, gctx := duet.NewGroup(ctx)
			a := duet.Go(g, func(ctx context.Context) (int, error) {
				if err := duet.Sleep(ctx, time.Second); err != nil {
					return 0, err
				}
				return 0, errA
			})
			waitOf := func(ctx context.Context) (int, error) { return 0, g.Wait() }
			_, err := duet.Await(ctx, aio.Spawn(ctx, waitOf))
			if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "body") {
				t.Errorf("Wait from another task = %v, want ErrInvalidState naming the rule", err)
			}
			if a.IsDone() || gctx.Err() != nil {
				t.Error("the refused Wait waited for the children or ended the group")
			}
			// The refused Wait did not start the group's exit: a child
			// may still be added.
			b := duet.Go(g, sleeper(time.Hour, 2))
			if b.IsDone() {
				t.Errorf("Go after a refused Wait: %v", b.Err())
			}
			if err := g.Wait(); !errors.Is(err, errA) || !b.Cancelled() {
				t.Errorf("body's Wait = %v (b cancelled %v), want a's failure", err, b.Cancelled())
			}
			if _, err := duet.Await(ctx, aio.Spawn(ctx, waitOf)); !errors.Is(err, errA) {
				t.Errorf("Wait from another task after the body's = %v, want the same result", err)
			}
			return nil
		}, vclock())
	})
}

// A goroutine that calls Wait of a group whose body is a task is refused
// the same way: it is not the body, and the body's cancellation (which Wait
// withdraws with Uncancel) is the body task's own.
func TestGroupWaitFromGoroutineOnTaskGroup(t *testing.T) {
	hangGuard(t, func() error {
		return aio.Run(context.Background(), func(ctx context.Context) error {
			g, _ := duet.NewGroup(ctx)
			started := make(chan struct{})
			c := duet.Go(g, func(ctx context.Context) (int, error) {
				close(started) // the body is suspended: a task runs
				return 1, duet.Sleep(ctx, time.Second)
			})
			res := duet.NewFuture[error]()
			go func() {
				<-started // else the goroutine could be taken for the body
				res.SetResult(g.Wait())
			}()
			err, _ := duet.Await(ctx, res) // the body stays suspended meanwhile
			if !errors.Is(err, duet.ErrInvalidState) {
				t.Errorf("Wait from a goroutine = %v, want ErrInvalidState", err)
			}
			if err := g.Wait(); err != nil {
				return err
			}
			if v, _ := c.Result(); v != 1 {
				t.Errorf("child = %v", v)
			}
			return nil
		}, vclock())
	})
}
