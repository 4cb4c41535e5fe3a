package aio_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// run runs main on a loop with a virtual clock and fails the test on error.
func run(t *testing.T, main func(ctx context.Context) error, opts ...aio.Option) {
	t.Helper()
	opts = append([]aio.Option{aio.WithVirtualClock()}, opts...)
	if err := aio.Run(context.Background(), main, opts...); err != nil {
		t.Fatal(err)
	}
}

func TestCancelBeforeStartNeverRuns(t *testing.T) {
	run(t, func(ctx context.Context) error {
		ran := false
		task := aio.Spawn(ctx, func(ctx context.Context) (int, error) { ran = true; return 1, nil })
		task.Cancel("early")
		_, err := duet.Await(ctx, task)
		if ran || !errors.Is(err, duet.ErrCancelled) || !task.Cancelled() {
			return fmt.Errorf("ran=%v err=%v cancelled=%v", ran, err, task.Cancelled())
		}
		return nil
	})
}

func TestSelfCancelRunsUntilFirstSuspension(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var log []string
		var self *aio.Task[int]
		self = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			self.Cancel("self")
			log = append(log, "after cancel")
			done := duet.NewFuture[int]()
			done.SetResult(1)
			duet.Await(ctx, done) // already done: no suspension, no delivery
			log = append(log, "after done await")
			err := duet.Sleep(ctx, 0)
			log = append(log, fmt.Sprintf("sleep: %v", err))
			return 0, err
		})
		_, err := duet.Await(ctx, self)
		if got := strings.Join(log, "|"); got != "after cancel|after done await|sleep: duet: cancelled: self" {
			return fmt.Errorf("log %q", got)
		}
		if !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("err %v", err)
		}
		return nil
	})
}

func TestCancellingCountAndUncancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		task := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			err := duet.Sleep(ctx, time.Hour)
			if !errors.Is(err, duet.ErrCancelled) {
				return "", fmt.Errorf("want cancel, got %v", err)
			}
			// Swallow the cancellation and go on, as asyncio allows.
			if err := duet.Sleep(ctx, time.Second); err != nil {
				return "", err
			}
			return "swallowed", nil
		})
		duet.Sleep(ctx, 0)
		task.Cancel("one")
		task.Cancel("two")
		if n := task.Cancelling(); n != 2 {
			return fmt.Errorf("cancelling = %d, want 2", n)
		}
		if n := task.Uncancel(); n != 1 {
			return fmt.Errorf("uncancel = %d, want 1", n)
		}
		v, err := duet.Await(ctx, task)
		if v != "swallowed" || err != nil || task.Cancelled() {
			return fmt.Errorf("v=%q err=%v cancelled=%v", v, err, task.Cancelled())
		}
		return nil
	})
}

func TestCancelPropagatesDownAwaitChain(t *testing.T) {
	run(t, func(ctx context.Context) error {
		inner := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := duet.Sleep(ctx, time.Hour); err != nil {
				return 42, nil // swallow: the outer gets the value, as in Python
			}
			return 0, nil
		})
		outer := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return duet.Await(ctx, inner)
		})
		duet.Sleep(ctx, 0)
		outer.Cancel("down")
		v, err := duet.Await(ctx, outer)
		if v != 42 || err != nil {
			return fmt.Errorf("outer = %v, %v; want 42, nil", v, err)
		}
		if inner.Cancelling() != 1 {
			return fmt.Errorf("inner cancelling = %d", inner.Cancelling())
		}
		return nil
	})
}

func TestTaskContextCancelledByCancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		task := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			duet.Sleep(ctx, time.Hour)
			return 0, ctx.Err()
		})
		duet.Sleep(ctx, 0)
		select {
		case <-task.Context().Done():
			return errors.New("context done before Cancel")
		default:
		}
		task.Cancel("")
		_, err := duet.Await(ctx, task)
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("ctx.Err() after cancel = %v", err)
		}
		return nil
	})
}

func TestPanicBecomesError(t *testing.T) {
	run(t, func(ctx context.Context) error {
		task := aio.Spawn(ctx, func(ctx context.Context) (int, error) { panic("boom") })
		_, err := duet.Await(ctx, task)
		var pe *duet.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "task_test.go") {
			return fmt.Errorf("err = %v", err)
		}
		return nil
	})
}

func TestRunMainPanicAndError(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error { panic(errors.New("main boom")) })
	var pe *duet.PanicError
	if !errors.As(err, &pe) || pe.Unwrap().Error() != "main boom" {
		t.Fatalf("err = %v", err)
	}
	sentinel := errors.New("x")
	if err := aio.Run(context.Background(), func(ctx context.Context) error { return sentinel }); err != sentinel {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCancelsLeftoverTasks(t *testing.T) {
	var got error
	run(t, func(ctx context.Context) error {
		aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			got = duet.Sleep(ctx, time.Hour)
			return 0, got
		})
		return duet.Sleep(ctx, 0)
	})
	if !errors.Is(got, duet.ErrCancelled) {
		t.Fatalf("leftover task saw %v", got)
	}
}

func TestRunContextCancelsMain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := aio.Run(ctx, func(ctx context.Context) error {
		cancel()
		return duet.Sleep(ctx, time.Hour)
	})
	if !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadInput(t *testing.T) {
	// Spawn with no loop.
	task := aio.Spawn(context.Background(), func(ctx context.Context) (int, error) { return 1, nil })
	if _, err := task.Result(); !errors.Is(err, aio.ErrNoLoop) || !strings.Contains(err.Error(), "aio.Run") {
		t.Fatalf("spawn without loop: %v", err)
	}
	// Await of nil.
	if _, err := duet.Await[int](context.Background(), nil); !errors.Is(err, duet.ErrNilAwaitable) {
		t.Fatalf("await nil: %v", err)
	}
	var nilTask *aio.Task[int]
	if _, err := duet.Await[int](context.Background(), nilTask); !errors.Is(err, duet.ErrNilAwaitable) {
		t.Fatalf("await nil task: %v", err)
	}
	// Run from inside a running loop.
	run(t, func(ctx context.Context) error {
		if err := aio.Run(ctx, func(context.Context) error { return nil }); !errors.Is(err, aio.ErrNestedRun) {
			return fmt.Errorf("nested run: %v", err)
		}
		return nil
	})
	// Calls on a closed loop.
	l := aio.New()
	l.Close()
	if _, err := l.CallSoon(func() {}); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("CallSoon on closed loop: %v", err)
	}
	if err := l.RunForever(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("RunForever on closed loop: %v", err)
	}
	task = aio.Spawn(l.Context(), func(ctx context.Context) (int, error) { return 1, nil })
	if _, err := task.Result(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("spawn on closed loop: %v", err)
	}
	if err := aio.Run(context.Background(), nil); err == nil {
		t.Fatal("Run(nil) succeeded")
	}
}

func TestUnretrievedErrorReportedOnce(t *testing.T) {
	var mu sync.Mutex
	var reports []string
	handler := func(_ *aio.Loop, ec aio.ExceptionContext) {
		mu.Lock()
		reports = append(reports, ec.Message+": "+ec.Task+": "+fmt.Sprint(ec.Err))
		mu.Unlock()
	}
	run(t, func(ctx context.Context) error {
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, errors.New("lost") }, aio.WithName("fails"))
		seen := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, errors.New("seen") })
		duet.Sleep(ctx, time.Second)
		duet.Await(ctx, seen)
		return nil
	}, aio.WithExceptionHandler(handler))
	runtime.GC()
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 || reports[0] != "Task exception was never retrieved: fails: lost" {
		t.Fatalf("reports = %q", reports)
	}
}

func TestCallbackOrderAndPanicInCallback(t *testing.T) {
	var log []string
	var reports []string
	l := aio.New(aio.WithVirtualClock(), aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec.Message)
	}))
	defer l.Close()
	t0 := l.Time()
	l.CallLater(0, func() { log = append(log, "later0") })
	l.CallAt(t0.Add(-time.Second), func() { log = append(log, "at-past") })
	l.CallSoon(func() { log = append(log, "A") })
	l.CallSoon(func() { panic("bad callback") })
	l.CallSoon(func() { log = append(log, "B"); l.CallSoon(func() { log = append(log, "next-iter") }) })
	h, err := l.CallSoon(func() { log = append(log, "cancelled") })
	if err != nil {
		t.Fatal(err)
	}
	h.Cancel()
	l.CallLater(time.Second, func() { log = append(log, fmt.Sprint("1s at ", l.Time().Sub(t0))); l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	want := "A|B|at-past|later0|next-iter|1s at 1s"
	if got := strings.Join(log, "|"); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if len(reports) != 1 || reports[0] != "Exception in callback" {
		t.Fatalf("reports %q", reports)
	}
}

func TestStopBeforeRunForeverRunsOneIteration(t *testing.T) {
	l := aio.New()
	defer l.Close()
	n := 0
	var again func()
	again = func() { n++; l.CallSoon(again) }
	l.CallSoon(again)
	l.Stop()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("ran %d callbacks, want 1", n)
	}
}

func TestCallSoonFromGoroutineWakesLoop(t *testing.T) {
	run(t, func(ctx context.Context) error {
		f := duet.NewFuture[string]()
		go func() { f.SetResult("from goroutine") }()
		v, err := duet.Await(ctx, f)
		if v != "from goroutine" || err != nil {
			return fmt.Errorf("%v %v", v, err)
		}
		return nil
	}, aio.WithClock(realClock{}))
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func TestCloseDestroysPendingTasks(t *testing.T) {
	var reports []string
	l := aio.New(aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec.Message+" "+ec.Task)
	}))
	unwound := false
	task := aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		defer func() { unwound = true }()
		return 0, duet.Sleep(ctx, time.Hour)
	}, aio.WithName("sleeper"))
	l.CallLater(time.Millisecond, l.Stop)
	l.RunForever()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !unwound || len(reports) != 1 || reports[0] != "Task was destroyed but it is pending! sleeper" {
		t.Fatalf("unwound=%v reports=%q", unwound, reports)
	}
	if _, err := task.Result(); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("destroyed task result: %v", err)
	}
}

func TestEagerStart(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var log []string
		lazy := aio.Spawn(ctx, func(ctx context.Context) (int, error) { log = append(log, "lazy"); return 1, nil })
		eager := aio.Spawn(ctx, func(ctx context.Context) (int, error) { log = append(log, "eager"); return 2, nil }, aio.Eager())
		log = append(log, "spawned")
		if !eager.IsDone() || lazy.IsDone() {
			return fmt.Errorf("eager done=%v lazy done=%v", eager.IsDone(), lazy.IsDone())
		}
		duet.Await(ctx, lazy)
		if got := strings.Join(log, "|"); got != "eager|spawned|lazy" {
			return fmt.Errorf("log %q", got)
		}
		return nil
	})
}

func TestVirtualClockJumps(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		t0 := l.Time()
		if err := duet.Sleep(ctx, 24*time.Hour); err != nil {
			return err
		}
		if d := l.Time().Sub(t0); d != 24*time.Hour {
			return fmt.Errorf("virtual time advanced %v", d)
		}
		return nil
	})
}

func TestWaitFromGoroutineWithTaskContext(t *testing.T) {
	// A goroutine holding a task's context waits like a goroutine while
	// the task is suspended. (While the task runs, the goroutine would be
	// taken for the task: Go has no goroutine identity. So the goroutine
	// starts from a callback, which runs once the task has suspended on g,
	// and completes g only when its own wait is over.)
	run(t, func(ctx context.Context) error {
		f := duet.NewFuture[int]()
		g := duet.NewFuture[int]()
		res := make(chan error, 1)
		aio.LoopOf(ctx).CallSoon(func() {
			go func() {
				_, err := duet.Await(ctx, f)
				res <- err
				g.SetResult(2)
			}()
			go f.SetResult(1)
		})
		if _, err := duet.Await(ctx, g); err != nil {
			return err
		}
		return <-res
	}, aio.WithClock(realClock{}))
}

// A timeout that fires inside a task cancels the work under it, not the
// task: once the timeout is over, the task's context is still live and Go
// APIs that watch it keep working.
func TestTaskContextSurvivesTimeout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("timeout: %v", err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("task context cancelled by a timeout: %v", ctx.Err())
		}
		sub, cancel := context.WithCancel(ctx)
		defer cancel()
		return duet.Sleep(sub, time.Second)
	})
}

// A group child whose task can never run (its loop is closed) still ends,
// so the group's Wait cannot hang.
func TestGroupChildOnClosedLoopEnds(t *testing.T) {
	l := aio.New()
	l.Close()
	g, _ := duet.NewGroup(l.Context())
	f := duet.Go(g, func(ctx context.Context) (int, error) { return 1, nil })
	if _, err := f.Result(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("child on a closed loop: %v", err)
	}
	if err := g.Wait(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Wait: %v", err)
	}
}

// Run's shutdown cancels a group child that has not started yet; its future
// must still complete.
func TestGroupChildCancelledBeforeStartEnds(t *testing.T) {
	var child *duet.Future[int]
	run(t, func(ctx context.Context) error {
		g, gctx := duet.NewGroup(ctx)
		aio.Spawn(gctx, func(ctx context.Context) (int, error) {
			child = duet.Go(g, func(ctx context.Context) (int, error) { return 1, nil })
			return 0, nil
		})
		return nil // main returns at once: the child is cancelled before it starts
	})
	if child == nil {
		t.Skip("the spawning task did not run before shutdown")
	}
	if !child.IsDone() {
		t.Fatal("group child future left pending")
	}
}

// A task that never started when its loop closed still completes, so a
// goroutine awaiting it is released.
func TestCloseCompletesUnstartedTask(t *testing.T) {
	var r reports
	l := aio.New(aio.WithExceptionHandler(r.handler))
	task := aio.Spawn(l.Context(), func(ctx context.Context) (int, error) { return 1, nil }, aio.WithName("never"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := duet.Await(context.Background(), task); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("unstarted task after Close: %v", err)
	}
	if all := r.all(); len(all) != 1 || all[0].Task != "never" {
		t.Fatalf("reports: %+v", all)
	}
}
