package conformance

import (
	"context"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// More corner cases: cancellation bookkeeping (3.13 uncancel, messages,
// gh-116720), eager tasks, and hand-offs of primitives to waiters that are
// cancelled at the wrong moment.

func init() {
	register("cancel_uncancel_pending", cancelUncancelPending)
	register("cancel_message_rules", cancelMessageRules)
	register("taskgroup_cancel_collision", taskgroupCancelCollision)
	register("task_eager", taskEager)
	register("gather_cancel_child_swallows", gatherCancelChildSwallows)
	register("queue_putter_woken_cancelled", queuePutterWokenCancelled)
	register("barrier_cancel_after_release", barrierCancelAfterRelease)
	register("timeout_lock_waiter", timeoutLockWaiter)
	register("wait_same_iteration", waitSameIteration)
	register("loop_handle_cancel_same_iteration", loopHandleCancelSameIteration)
	register("condition_cancelled_before_notify", conditionCancelledBeforeNotify)
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

func taskgroupCancelCollision(ctx context.Context, tr *Trace) error {
	var t *aio.Task[none]
	t = aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		g, gctx := duet.NewGroup(ctx)
		duet.Go(g, func(ctx context.Context) (none, error) {
			if err := duet.Sleep(ctx, 10*ms); err != nil {
				return none{}, err
			}
			tr.Log("child fails")
			return none{}, &Err{"child"}
		})
		serr := duet.Sleep(gctx, time.Second)
		err := raised(g.Wait())
		switch {
		case isGroup(err):
			tr.Log("runner: group raised", err, "cancelling", t.Cancelling())
		case err != nil:
			return none{}, err
		default:
			return none{}, serr
		}
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			if isCancel(err) {
				tr.Log("runner: outside cancellation delivered")
			}
			return none{}, err
		}
		tr.Log("runner: not cancelled")
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := duet.Sleep(ctx, 0); err != nil { // the child has armed its timer
		return err
	}
	loopOf(ctx).CallLater(10*ms, func() { t.Cancel("") })
	if _, err := duet.Await(ctx, t); isCancel(err) {
		tr.Log("main: runner cancelled", t.Cancelled())
	} else if err != nil {
		return err
	}
	return nil
}

func taskEager(ctx context.Context, tr *Trace) error {
	q := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		tr.Log("quick runs")
		return "q", nil
	}, aio.Eager())
	tr.Log("quick created, done", q.IsDone())
	s := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		tr.Log("slow starts")
		if err := duet.Sleep(ctx, 0); err != nil {
			return "", err
		}
		tr.Log("slow resumes")
		return "s", nil
	}, aio.Eager())
	tr.Log("slow created, done", s.IsDone())
	vq, err := duet.Await(ctx, q)
	if err != nil {
		return err
	}
	vs, err := duet.Await(ctx, s)
	if err != nil {
		return err
	}
	tr.Log("results", vq, vs)
	return nil
}

func gatherCancelChildSwallows(ctx context.Context, tr *Trace) error {
	sw := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, time.Second); isCancel(err) {
			tr.Log("swallower swallows")
		} else if err != nil {
			return "", err
		}
		if err := duet.Sleep(ctx, 20*ms); err != nil {
			return "", err
		}
		tr.Log("swallower returns")
		return "s", nil
	})
	no := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		err := duet.Sleep(ctx, time.Second)
		if isCancel(err) {
			tr.Log("normal cancelled")
		}
		return "", err
	})
	p := aio.Spawn(ctx, func(ctx context.Context) ([]string, error) {
		return duet.Gather(ctx, sw, no)
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	p.Cancel("")
	if _, err := duet.Await(ctx, p); isCancel(err) {
		tr.Log("parent cancelled, swallower done", sw.IsDone())
	} else if err != nil {
		return err
	}
	v, err := duet.Await(ctx, sw)
	if err != nil {
		return err
	}
	tr.Log("swallower result", v)
	return nil
}

func queuePutterWokenCancelled(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[string](1)
	if err := q.TryPut("x"); err != nil {
		return err
	}
	putter := func(v string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := q.Put(ctx, v); err != nil {
				if isCancel(err) {
					tr.Log("putter", v, "cancelled")
				}
				return none{}, err
			}
			tr.Log("put", v)
			return none{}, nil
		}
	}
	p1 := aio.Spawn(ctx, putter("p1"))
	p2 := aio.Spawn(ctx, putter("p2"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	v, err := q.TryGet()
	if err != nil {
		return err
	}
	tr.Log("got", v)
	p1.Cancel("")
	for _, p := range []*aio.Task[none]{p1, p2} {
		if _, err := duet.Await(ctx, p); err != nil && !isCancel(err) {
			return err
		}
	}
	if v, err = q.TryGet(); err != nil {
		return err
	}
	tr.Log("queue holds", v)
	return nil
}

func barrierCancelAfterRelease(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(3)
	if err != nil {
		return err
	}
	party := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			i, err := b.Wait(ctx)
			if err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return none{}, err
			}
			tr.Log(name, "passes", i)
			return none{}, nil
		}
	}
	a := aio.Spawn(ctx, party("a"))
	c := aio.Spawn(ctx, party("c"))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	d := aio.Spawn(ctx, party("d"))
	if err := duet.Sleep(ctx, 0); err != nil { // d arrives last and releases the round
		return err
	}
	a.Cancel("")
	for _, t := range []*aio.Task[none]{a, c, d} {
		if _, err := duet.Await(ctx, t); isCancel(err) {
			tr.Log("a ended cancelled")
		} else if err != nil {
			return err
		}
	}
	tr.Log("broken", b.Broken(), "waiting", b.NWaiting())
	return nil
}

func timeoutLockWaiter(ctx context.Context, tr *Trace) error {
	var lock duet.Lock
	if err := lock.Acquire(ctx); err != nil {
		return err
	}
	i := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		err := duet.WithTimeout(ctx, 10*ms, lock.Acquire)
		switch {
		case isTimeout(err):
			tr.Log("impatient timed out, locked", lock.Locked())
		case err != nil:
			return none{}, err
		default:
			tr.Log("impatient got the lock")
		}
		return none{}, nil
	})
	p := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		if err := lock.Acquire(ctx); err != nil {
			return none{}, err
		}
		tr.Log("patient got the lock")
		return none{}, lock.Release()
	})
	if err := duet.Sleep(ctx, 20*ms); err != nil {
		return err
	}
	if err := lock.Release(); err != nil {
		return err
	}
	return awaitAll(ctx, i, p)
}

func waitSameIteration(ctx context.Context, tr *Trace) error {
	var ts []duet.Awaitable[string]
	for _, s := range []struct {
		n string
		d float64
	}{{"a", 0.01}, {"b", 0.01}, {"c", 0.02}} {
		ts = append(ts, aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			return s.n, duet.Sleep(ctx, secs(s.d))
		}, aio.WithName(s.n)))
	}
	names := func(as []duet.Awaitable[string]) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, a.(*aio.Task[string]).Name())
		}
		return out
	}
	done, pending, err := duet.Wait(ctx, ts, duet.FirstCompleted, duet.NoTimeout)
	if err != nil {
		return err
	}
	tr.Log("first_completed", names(done), names(pending))
	if done, pending, err = duet.Wait(ctx, ts, duet.AllCompleted, 10*ms); err != nil {
		return err
	}
	tr.Log("timeout at completion", names(done), names(pending))
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

func conditionCancelledBeforeNotify(ctx context.Context, tr *Trace) error {
	cond := duet.NewCondition(nil)
	waiter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := cond.Acquire(ctx); err != nil {
				return none{}, err
			}
			defer cond.Release()
			if err := cond.Wait(ctx); err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled, holds lock", cond.Locked())
				}
				return none{}, err
			}
			tr.Log(name, "woke")
			return none{}, nil
		}
	}
	a := aio.Spawn(ctx, waiter("a"))
	b := aio.Spawn(ctx, waiter("b"))
	c := aio.Spawn(ctx, waiter("c"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	a.Cancel("")
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	notify := func(all bool) error {
		if err := cond.Acquire(ctx); err != nil {
			return err
		}
		defer cond.Release()
		if all {
			return cond.NotifyAll()
		}
		if err := cond.Notify(1); err != nil {
			return err
		}
		tr.Log("notified one")
		return nil
	}
	if err := notify(false); err != nil {
		return err
	}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("b done", b.IsDone(), "c done", c.IsDone())
	if err := notify(true); err != nil {
		return err
	}
	for _, t := range []*aio.Task[none]{a, b, c} {
		if _, err := duet.Await(ctx, t); err != nil && !isCancel(err) {
			return err
		}
	}
	return nil
}
