package conformance

import (
	"context"
	"errors"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Task cancellation scenarios: py/cancel_*.py.

func init() {
	register("cancel_self", cancelSelf)
	register("cancel_twice_uncancel", cancelTwiceUncancel)
	register("cancel_swallowed", cancelSwallowed)
	register("cancel_before_start", cancelBeforeStart)
	register("cancel_await_chain", cancelAwaitChain)
	register("cancel_chain_inner_swallows", cancelChainInnerSwallows)
	register("cancel_after_wakeup", cancelAfterWakeup)
	register("cancel_future_awaited", cancelFutureAwaited)
	register("cancel_catch_and_continue", cancelCatchAndContinue)
	register("cancel_main_leftover", cancelMainLeftover)
	register("cancel_while_running", cancelWhileRunning)
	register("cancel_main_leftover_spawns", cancelMainLeftoverSpawns)
	register("cancel_uncancel_pending", cancelUncancelPending)
	register("cancel_message_rules", cancelMessageRules)
}

func cancelWhileRunning(ctx context.Context, tr *Trace) error {
	var outer *aio.Task[int]
	outer = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		inner := aio.Spawn(ctx, func(context.Context) (int, error) {
			tr.Log("inner cancels outer", outer.Cancel("meanwhile"))
			return 1, nil
		})
		v, err := duet.Await(ctx, inner)
		tr.Log("inner", outcome(inner.Result()))
		return v, err
	})
	if _, err := duet.Await(ctx, outer); err != nil {
		tr.Log("outer raised", err)
	}
	tr.Log("outer cancelled", outer.Cancelled())

	var t1 *aio.Task[int]
	t1 = aio.Spawn(ctx, func(context.Context) (int, error) {
		t1.Cancel("late")
		return 0, &Err{"own"}
	})
	if _, err := duet.Await(ctx, t1); err != nil {
		tr.Log("returns_error raised", err)
	}
	var t2 *aio.Task[int]
	t2 = aio.Spawn(ctx, func(context.Context) (int, error) {
		t2.Cancel("late")
		return 2, nil
	})
	if _, err := duet.Await(ctx, t2); err != nil {
		tr.Log("returns_value raised", err, t2.Cancelled())
	}
	return nil
}

func isCancel(err error) bool { return errors.Is(err, duet.ErrCancelled) }

func cancelSelf(ctx context.Context, tr *Trace) error {
	done := duet.NewFuture[int]()
	done.SetResult(1)
	var me *aio.Task[int]
	me = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		tr.Log("cancel self", me.Cancel("me"), me.Cancelling())
		tr.Log("still running")
		v, err := duet.Await(ctx, done)
		if err != nil {
			return 0, err
		}
		tr.Log("awaited done future", v)
		if err := duet.Sleep(ctx, 0); err != nil {
			tr.Log("caught at sleep0", err)
			return 0, err
		}
		tr.Log("not reached")
		return 0, nil
	})
	_, err := duet.Await(ctx, me)
	tr.Log("main", err, me.Cancelled())
	return nil
}

func cancelTwiceUncancel(ctx context.Context, tr *Trace) error {
	var t *aio.Task[string]
	t = aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, time.Second); err != nil {
			if !isCancel(err) {
				return "", err
			}
			tr.Log("caught", err, "cancelling", t.Cancelling())
			tr.Log("uncancel ->", t.Uncancel())
			tr.Log("uncancel ->", t.Uncancel())
			tr.Log("uncancel ->", t.Uncancel())
		}
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return "", err
		}
		tr.Log("slept after catching")
		return "ok", nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("cancel", t.Cancel("one"), "cancel", t.Cancel("two"), "cancelling", t.Cancelling())
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("result", v, "cancelled", t.Cancelled())
	return nil
}

func cancelSwallowed(ctx context.Context, tr *Trace) error {
	t := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, time.Second); isCancel(err) {
			tr.Log("swallowed")
		} else if err != nil {
			return 0, err
		}
		if err := duet.Sleep(ctx, 20*ms); err != nil {
			return 0, err
		}
		tr.Log("second sleep completed")
		return 42, nil
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	t.Cancel("")
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("got", v, "cancelled", t.Cancelled(), "cancelling", t.Cancelling())
	return nil
}

func cancelBeforeStart(ctx context.Context, tr *Trace) error {
	body := func(ctx context.Context) (int, error) {
		tr.Log("body runs")
		return 1, nil
	}
	t := aio.Spawn(ctx, body)
	tr.Log("cancel", t.Cancel("early"))
	_, err := duet.Await(ctx, t)
	tr.Log("await", err, t.Cancelled())
	u := aio.Spawn(ctx, body)
	if _, err := duet.Await(ctx, u); err != nil {
		return err
	}
	tr.Log("cancel finished", u.Cancel(""))
	return nil
}

func cancelAwaitChain(ctx context.Context, tr *Trace) error {
	leaf := func(ctx context.Context) (struct{}, error) {
		err := duet.Sleep(ctx, time.Second)
		if isCancel(err) {
			tr.Log("leaf cancelled", err)
		}
		return struct{}{}, err
	}
	mid := func(ctx context.Context) (struct{}, error) {
		_, err := duet.Await(ctx, aio.Spawn(ctx, leaf))
		if isCancel(err) {
			tr.Log("mid cancelled", err)
		}
		return struct{}{}, err
	}
	top := func(ctx context.Context) (struct{}, error) {
		_, err := duet.Await(ctx, aio.Spawn(ctx, mid))
		if isCancel(err) {
			tr.Log("top cancelled", err)
		}
		return struct{}{}, err
	}
	t := aio.Spawn(ctx, top)
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("cancel top", t.Cancel("stop"))
	_, err := duet.Await(ctx, t)
	tr.Log("main", err, t.Cancelled())
	return nil
}

func cancelChainInnerSwallows(ctx context.Context, tr *Trace) error {
	inner := func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, time.Second); isCancel(err) {
			tr.Log("inner swallows")
		} else if err != nil {
			return 0, err
		}
		return 42, nil
	}
	var t *aio.Task[int]
	t = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		v, err := duet.Await(ctx, aio.Spawn(ctx, inner))
		if err != nil {
			return 0, err
		}
		tr.Log("outer got", v, "cancelling", t.Cancelling())
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return 0, err
		}
		tr.Log("outer slept")
		return v + 1, nil
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	t.Cancel("")
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("main got", v, t.Cancelled())
	return nil
}

func cancelAfterWakeup(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	fut := duet.NewFuture[int]()
	w := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		v, err := duet.Await(ctx, fut)
		if err != nil {
			tr.Log("waiter cancelled", err)
			return struct{}{}, err
		}
		tr.Log("waiter got", v)
		return struct{}{}, nil
	})
	sleeper := func(ctx context.Context) (struct{}, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			tr.Log("sleeper cancelled", err)
			return struct{}{}, err
		}
		tr.Log("sleeper woke")
		return struct{}{}, nil
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	fut.SetResult(1)
	tr.Log("cancel waiter", w.Cancel("late"))
	s := aio.Spawn(ctx, sleeper)
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	loop.CallLater(10*ms, func() { tr.Log("cancel sleeper", s.Cancel("timer")) })
	for _, t := range []*aio.Task[struct{}]{w, s} {
		if _, err := duet.Await(ctx, t); err != nil {
			tr.Log("main", err)
		}
	}
	return nil
}

func cancelFutureAwaited(ctx context.Context, tr *Trace) error {
	f1 := duet.NewFuture[int]()
	f2 := duet.NewFuture[int]()
	a := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		return duet.Await(ctx, f1)
	})
	b := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		if _, err := duet.Await(ctx, f2); isCancel(err) {
			tr.Log("catches caught", err)
		} else if err != nil {
			return "", err
		}
		return "fine", nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("cancel f1", f1.Cancel("f1"), "cancel f2", f2.Cancel(""))
	_, err := duet.Await(ctx, a)
	tr.Log("a", err, a.Cancelled())
	v, err := duet.Await(ctx, b)
	if err != nil {
		return err
	}
	tr.Log("b", v, b.Cancelled())
	return nil
}

func cancelCatchAndContinue(ctx context.Context, tr *Trace) error {
	t := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		n := 0
		for i := range 3 {
			err := duet.Sleep(ctx, 20*ms)
			switch {
			case isCancel(err):
				n++
				tr.Log("caught", i, err)
			case err != nil:
				return n, err
			default:
				tr.Log("slept", i)
			}
		}
		return n, nil
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	t.Cancel("first")
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	t.Cancel("second")
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("result", v, "cancelling", t.Cancelling())
	return nil
}

func cancelMainLeftover(ctx context.Context, tr *Trace) error {
	aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		err := duet.Sleep(ctx, 10*time.Second)
		if isCancel(err) {
			tr.Log("bg cancelled at shutdown")
			if err := duet.Sleep(ctx, 10*ms); err != nil {
				return struct{}{}, err
			}
			tr.Log("bg cleanup done")
		}
		return struct{}{}, err
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("main returns")
	return nil
}

func cancelMainLeftoverSpawns(ctx context.Context, tr *Trace) error {
	late := func(ctx context.Context) (none, error) {
		tr.Log("late starts")
		if err := duet.Sleep(ctx, time.Second); err != nil {
			if isCancel(err) {
				tr.Log("late cancelled")
			}
			return none{}, err
		}
		tr.Log("late finishes")
		return none{}, nil
	}
	aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		err := duet.Sleep(ctx, 10*time.Second)
		if isCancel(err) {
			tr.Log("bg cancelled, starts late")
			aio.Spawn(ctx, late)
			if err := duet.Sleep(ctx, 10*ms); err != nil {
				return none{}, err
			}
			tr.Log("bg cleanup done")
		}
		return none{}, err
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("main returns")
	return nil
}

func cancelUncancelPending(ctx context.Context, tr *Trace) error {
	var me *aio.Task[string]
	me = aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		me.Cancel("withdrawn")
		tr.Log("cancelled self, cancelling", me.Cancelling())
		tr.Log("uncancel ->", me.Uncancel())
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			tr.Log("cancelled anyway")
			return "", err
		}
		tr.Log("slept undisturbed")
		me.Cancel("kept")
		me.Cancel("twice")
		tr.Log("uncancel ->", me.Uncancel())
		if err := duet.Sleep(ctx, 10*ms); isCancel(err) {
			tr.Log("cancelled: one request left")
		} else if err != nil {
			return "", err
		} else {
			tr.Log("slept undisturbed")
		}
		return "done", nil
	})
	v, err := duet.Await(ctx, me)
	if err != nil {
		return err
	}
	tr.Log("result", v)
	return nil
}

func cancelMessageRules(ctx context.Context, tr *Trace) error {
	sleeper := func(ctx context.Context) (none, error) {
		return none{}, duet.Sleep(ctx, time.Second)
	}
	run := func(label string, t *aio.Task[none]) error {
		_, err := duet.Await(ctx, t)
		if isCancel(err) {
			tr.Log(label, err)
			return nil
		}
		return err
	}
	t := aio.Spawn(ctx, sleeper)
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	t.Cancel("first")
	t.Cancel("second")
	if err := run("waiting on a future:", t); err != nil {
		return err
	}
	t = aio.Spawn(ctx, sleeper)
	t.Cancel("first")
	t.Cancel("second")
	if err := run("not started:", t); err != nil {
		return err
	}
	var self *aio.Task[none]
	self = aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		self.Cancel("first")
		self.Cancel("second")
		return none{}, duet.Sleep(ctx, 0)
	})
	return run("self-cancelled:", self)
}
