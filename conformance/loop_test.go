package conformance

import (
	"context"
	"math"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Scenarios of the loop itself, tasks and futures: py/loop_*.py,
// py/task_*.py, py/future_*.py.

func init() {
	register("loop_callsoon_fifo", loopCallsoonFifo)
	register("loop_timer_order", loopTimerOrder)
	register("loop_timer_same_deadline", loopTimerSameDeadline)
	register("task_start_order", taskStartOrder)
	register("task_sleep0_interleave", taskSleep0Interleave)
	register("task_sleep_order", taskSleepOrder)
	register("future_done_callbacks", futureDoneCallbacks)
	register("future_states", futureStates)
	register("task_await_done_no_yield", taskAwaitDoneNoYield)
	register("task_done_callback_vs_awaiter", taskDoneCallbackVsAwaiter)
	register("task_exception", taskException)
	register("loop_callback_error", loopCallbackError)
	register("loop_handle_cancel_same_iteration", loopHandleCancelSameIteration)
}

const ms = time.Millisecond

func loopCallsoonFifo(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	var cb func(name, again string)
	cb = func(name, again string) {
		tr.Log("cb", name)
		if again != "" {
			loop.CallSoon(func() { cb(again, "") })
		}
	}
	loop.CallSoon(func() { cb("a", "a2") })
	loop.CallSoon(func() { cb("b", "b2") })
	loop.CallSoon(func() { cb("c", "") })
	tr.Log("scheduled")
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("main after sleep0")
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("main after second sleep0")
	return nil
}

func loopTimerOrder(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	now := loop.Time()
	cb := func(name string) func() { return func() { tr.Log("cb", name) } }
	loop.CallLater(0, cb("later0"))
	loop.CallAt(now.Add(-time.Second), cb("at_past"))
	loop.CallSoon(cb("soon_a"))
	loop.CallLater(20*ms, cb("later20"))
	loop.CallAt(now.Add(10*ms), cb("at10"))
	loop.CallSoon(cb("soon_b"))
	tr.Log("scheduled")
	if err := duet.Sleep(ctx, 50*ms); err != nil {
		return err
	}
	tr.Log("main done")
	return nil
}

func loopTimerSameDeadline(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	now := loop.Time()
	cb := func(name string) func() { return func() { tr.Log("cb", name) } }
	loop.CallAt(now.Add(20*ms), cb("t1"))
	h, err := loop.CallAt(now.Add(20*ms), cb("t2"))
	if err != nil {
		return err
	}
	loop.CallLater(20*ms, cb("t3"))
	loop.CallAt(now.Add(10*ms), cb("early"))
	h.Cancel()
	tr.Log("cancelled", h.Cancelled())
	if err := duet.Sleep(ctx, 20*ms); err != nil {
		return err
	}
	tr.Log("main woke")
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("main after sleep0")
	return nil
}

func taskStartOrder(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	child := func(name string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			tr.Log("start", name)
			if err := duet.Sleep(ctx, 0); err != nil {
				return "", err
			}
			tr.Log("resume", name)
			return name, nil
		}
	}
	loop.CallSoon(func() { tr.Log("cb before") })
	a := aio.Spawn(ctx, child("a"))
	loop.CallSoon(func() { tr.Log("cb between") })
	b := aio.Spawn(ctx, child("b"))
	c := aio.Spawn(ctx, child("c"))
	tr.Log("created", a.IsDone(), b.IsDone(), c.IsDone())
	r, err := duet.Await(ctx, a)
	if err != nil {
		return err
	}
	tr.Log("main got", r)
	if _, err := duet.Await(ctx, b); err != nil {
		return err
	}
	if _, err := duet.Await(ctx, c); err != nil {
		return err
	}
	tr.Log("main end")
	return nil
}

func taskSleep0Interleave(ctx context.Context, tr *Trace) error {
	worker := func(name string, n int) func(context.Context) (struct{}, error) {
		return func(ctx context.Context) (struct{}, error) {
			for i := range n {
				tr.Log(name, i)
				if err := duet.Sleep(ctx, 0); err != nil {
					return struct{}{}, err
				}
			}
			tr.Log(name, "done")
			return struct{}{}, nil
		}
	}
	ts := []*aio.Task[struct{}]{
		aio.Spawn(ctx, worker("a", 3)),
		aio.Spawn(ctx, worker("b", 1)),
		aio.Spawn(ctx, worker("c", 2)),
	}
	for _, t := range ts {
		if _, err := duet.Await(ctx, t); err != nil {
			return err
		}
	}
	tr.Log("all done")
	return nil
}

func taskSleepOrder(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	sleeper := func(name string, d float64) func(context.Context) (struct{}, error) {
		return func(ctx context.Context) (struct{}, error) {
			tr.Log("sleep", name, d)
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return struct{}{}, err
			}
			tr.Log("woke", name)
			return struct{}{}, nil
		}
	}
	ts := []*aio.Task[struct{}]{
		aio.Spawn(ctx, sleeper("a", 0.03)),
		aio.Spawn(ctx, sleeper("b", 0.01)),
		aio.Spawn(ctx, sleeper("c", 0.02)),
		aio.Spawn(ctx, sleeper("d", 0.01)),
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	loop.CallLater(10*ms, func() { tr.Log("timer 10") })
	for _, t := range ts {
		if _, err := duet.Await(ctx, t); err != nil {
			return err
		}
	}
	tr.Log("main done")
	return nil
}

func futureDoneCallbacks(ctx context.Context, tr *Trace) error {
	fut := duet.NewFuture[int]()
	waiter := func(name string) func(context.Context) (struct{}, error) {
		return func(ctx context.Context) (struct{}, error) {
			v, err := duet.Await(ctx, fut)
			if err != nil {
				return struct{}{}, err
			}
			tr.Log("waiter", name, "got", v)
			return struct{}{}, nil
		}
	}
	fut.AddDoneCallback(ctx, func(f *duet.Future[int]) {
		v, _ := f.Result()
		tr.Log("cb1", v)
	})
	w1 := aio.Spawn(ctx, waiter("w1"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	fut.AddDoneCallback(ctx, func(f *duet.Future[int]) {
		v, _ := f.Result()
		tr.Log("cb2", v)
	})
	w2 := aio.Spawn(ctx, waiter("w2"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := fut.SetResult(7); err != nil {
		return err
	}
	tr.Log("after set_result")
	fut.AddDoneCallback(ctx, func(*duet.Future[int]) { tr.Log("cb3 added after done") })
	if _, err := duet.Await(ctx, w1); err != nil {
		return err
	}
	if _, err := duet.Await(ctx, w2); err != nil {
		return err
	}
	tr.Log("main done")
	return nil
}

func futureStates(ctx context.Context, tr *Trace) error {
	f := duet.NewFuture[int]()
	_, err := f.Result()
	tr.Log("pending result", err)
	if err := f.SetResult(1); err != nil {
		return err
	}
	tr.Log("second set_result", f.SetResult(2))
	v, _ := f.Result()
	tr.Log("cancel done", f.Cancel(""), v)
	g := duet.NewFuture[int]()
	tr.Log("cancel pending", g.Cancel("why"), g.Cancelled(), g.IsDone())
	_, err = g.Result()
	tr.Log("cancelled result", err)
	h := duet.NewFuture[int]()
	if err := h.SetError(&Err{"boom"}); err != nil {
		return err
	}
	tr.Log("exception", h.Err())
	_, err = duet.Await(ctx, h)
	tr.Log("await failed", err)
	return nil
}

func taskAwaitDoneNoYield(ctx context.Context, tr *Trace) error {
	done := duet.NewFuture[string]()
	if err := done.SetResult("x"); err != nil {
		return err
	}
	o := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		tr.Log("other runs")
		return struct{}{}, nil
	})
	v, err := duet.Await(ctx, done)
	if err != nil {
		return err
	}
	tr.Log("awaited done future", v, o.IsDone())
	v, err = duet.Await(ctx, done)
	if err != nil {
		return err
	}
	tr.Log("again", v, o.IsDone())
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("after sleep0", o.IsDone())
	if _, err := duet.Await(ctx, o); err != nil {
		return err
	}
	tr.Log("awaited finished task", o.IsDone())
	return nil
}

func taskDoneCallbackVsAwaiter(ctx context.Context, tr *Trace) error {
	t := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		tr.Log("work runs")
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return 0, err
		}
		tr.Log("work returns")
		return 5, nil
	})
	t.Future().AddDoneCallback(ctx, func(f *duet.Future[int]) {
		v, _ := f.Result()
		tr.Log("cb1", v)
	})
	a := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		v, err := duet.Await(ctx, t)
		if err != nil {
			return struct{}{}, err
		}
		tr.Log("a", "got", v)
		return struct{}{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	t.Future().AddDoneCallback(ctx, func(f *duet.Future[int]) {
		v, _ := f.Result()
		tr.Log("cb2", v)
	})
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("main got", v)
	_, err = duet.Await(ctx, a)
	return err
}

func taskException(ctx context.Context, tr *Trace) error {
	t := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return 0, err
		}
		return 0, &Err{"bad"}
	})
	_, err := duet.Await(ctx, t)
	tr.Log("await", err)
	_, err = duet.Await(ctx, t)
	tr.Log("await again", err)
	_, err = t.Result()
	tr.Log("done", t.IsDone(), "cancelled", t.Cancelled(), "exception", err)
	return nil
}

// secs converts the Python scenarios' float seconds.
func secs(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

func loopCallbackError(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	seen := 0
	loop.SetExceptionHandler(func(*aio.Loop, aio.ExceptionContext) { seen++ })
	loop.CallSoon(func() {
		tr.Log("bad runs")
		panic(&Err{"cb"})
	})
	loop.CallSoon(func() { tr.Log("next callback runs") })
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("main goes on, handler calls", seen)
	return nil
}

func loopHandleCancelSameIteration(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	var second, t2 *aio.Handle
	loop.CallSoon(func() {
		tr.Log("first cancels second")
		second.Cancel()
	})
	var err error
	if second, err = loop.CallSoon(func() { tr.Log("second runs") }); err != nil {
		return err
	}
	loop.CallLater(10*ms, func() {
		tr.Log("t1 cancels t2")
		t2.Cancel()
	})
	if t2, err = loop.CallLater(10*ms, func() { tr.Log("t2 runs") }); err != nil {
		return err
	}
	loop.CallLater(10*ms, func() { tr.Log("t3 runs") })
	loop.CallLater(-time.Second, func() { tr.Log("negative delay runs") })
	if err := duet.Sleep(ctx, 20*ms); err != nil {
		return err
	}
	tr.Log("cancelled", second.Cancelled(), t2.Cancelled())
	return nil
}
