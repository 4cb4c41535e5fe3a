package conformance

import (
	"context"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Timeouts: asyncio.timeout and wait_for at their edges (nested expiries
// at one instant, reschedules, swallowed cancellations, outside cancels).

func init() {
	register("timeout_swallowed", timeoutSwallowed)
	register("timeout_lock_waiter", timeoutLockWaiter)
	register("timeout_reschedule_edges", timeoutRescheduleEdges)
	register("wait_for_outside_cancel", waitForOutsideCancel)
	register("timeout_nested_same_instant", timeoutNestedSameInstant)
	register("wait_for_future_timeout", waitForFutureTimeout)
}

func timeoutSwallowed(ctx context.Context, tr *Trace) error {
	var cm *duet.Timeout
	if err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
		cm = duet.TimeoutFrom(ctx)
		if err := duet.Sleep(ctx, time.Second); isCancel(err) {
			tr.Log("body swallows")
		} else if err != nil {
			return err
		}
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return err
		}
		tr.Log("body goes on")
		return nil
	}); err != nil {
		return err
	}
	tr.Log("no error, expired", cm.Expired(), "cancelling", currentTask(ctx).Cancelling())
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

func timeoutRescheduleEdges(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	var cm *duet.Timeout
	err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
		cm = duet.TimeoutFrom(ctx)
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return err
		}
		if err := cm.Reschedule(loop.Time().Add(-time.Second)); err != nil {
			return err
		}
		tr.Log("rescheduled into the past, still running")
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return err
		}
		tr.Log("not reached")
		return nil
	})
	if isTimeout(err) {
		tr.Log("timeout, expired", cm.Expired())
	} else if err != nil {
		return err
	}
	if err := cm.Reschedule(loop.Time().Add(time.Second)); err != nil {
		tr.Log("reschedule after expiry: error")
	} else {
		tr.Log("rescheduled an expired timeout")
	}
	return nil
}

func waitForOutsideCancel(ctx context.Context, tr *Trace) error {
	it := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		err := duet.Sleep(ctx, time.Second)
		if isCancel(err) {
			tr.Log("inner cancelled")
		}
		return none{}, err
	})
	w := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		_, err := duet.WaitFor(ctx, it, 50*ms)
		switch {
		case isTimeout(err):
			tr.Log("waiter: timeout (wrong)")
			return none{}, nil
		case isCancel(err):
			tr.Log("waiter: cancelled")
		}
		return none{}, err
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	w.Cancel("")
	if _, err := duet.Await(ctx, w); isCancel(err) {
		tr.Log("main: waiter cancelled", w.Cancelled(), "inner cancelled", it.Cancelled())
	} else if err != nil {
		return err
	}
	if err := duet.Sleep(ctx, 50*ms); err != nil {
		return err
	}
	tr.Log("nothing fired later")
	return nil
}

func timeoutNestedSameInstant(ctx context.Context, tr *Trace) error {
	err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Second)
		})
		switch {
		case isTimeout(err):
			tr.Log("inner timeout")
		case isCancel(err):
			tr.Log("inner lets the cancellation through, cancelling", currentTask(ctx).Cancelling())
		}
		return err
	})
	if isTimeout(err) {
		tr.Log("outer timeout, cancelling", currentTask(ctx).Cancelling())
		return nil
	}
	return err
}

func waitForFutureTimeout(ctx context.Context, tr *Trace) error {
	f := duet.NewFuture[string]()
	if _, err := duet.WaitFor(ctx, f, 10*ms); isTimeout(err) {
		tr.Log("timeout, future cancelled", f.Cancelled())
	} else if err != nil {
		return err
	}
	g := duet.NewFuture[string]()
	loopOf(ctx).CallLater(10*ms, func() { g.SetResult("g") })
	v, err := duet.WaitFor(ctx, g, 20*ms)
	if err != nil {
		return err
	}
	tr.Log("got", v)
	return nil
}
