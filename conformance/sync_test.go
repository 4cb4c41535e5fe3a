package conformance

import (
	"context"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Synchronisation primitive scenarios: py/lock_*.py, py/semaphore_*.py,
// py/event_*.py, py/condition_*.py (barriers: barrier_test.go).

func init() {
	register("lock_fifo", lockFifo)
	register("lock_cancelled_waiters", lockCancelledWaiters)
	register("semaphore_fifo", semaphoreFifo)
	register("semaphore_cancelled_waiters", semaphoreCancelledWaiters)
	register("event_set_clear", eventSetClear)
	register("condition_notify", conditionNotify)
	register("condition_cancelled_waiter", conditionCancelledWaiter)
	register("event_wait_cancelled_after_set", eventWaitCancelledAfterSet)
	register("condition_cancelled_before_notify", conditionCancelledBeforeNotify)
}

type none = struct{}

// awaitAll awaits the tasks in order and returns the first error.
func awaitAll[T any](ctx context.Context, ts ...*aio.Task[T]) error {
	for _, t := range ts {
		if _, err := duet.Await(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func lockFifo(ctx context.Context, tr *Trace) error {
	var lock duet.Lock
	user := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			tr.Log(name, "wants")
			if err := lock.Acquire(ctx); err != nil {
				return none{}, err
			}
			tr.Log(name, "holds")
			err := duet.Sleep(ctx, 10*ms)
			if err == nil {
				tr.Log(name, "releases")
			}
			lock.Release()
			return none{}, err
		}
	}
	if err := lock.Acquire(ctx); err != nil {
		return err
	}
	ts := []*aio.Task[none]{aio.Spawn(ctx, user("a")), aio.Spawn(ctx, user("b")), aio.Spawn(ctx, user("c"))}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	lock.Release()
	tr.Log("main released, locked", lock.Locked())
	ts = append(ts, aio.Spawn(ctx, user("d")))
	if err := awaitAll(ctx, ts...); err != nil {
		return err
	}
	tr.Log("locked", lock.Locked())
	if err := lock.Release(); err != nil {
		tr.Log("release unlocked: error")
	}
	return nil
}

func lockCancelledWaiters(ctx context.Context, tr *Trace) error {
	var lock duet.Lock
	user := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := lock.Acquire(ctx); err != nil {
				tr.Log(name, "cancelled while waiting")
				return none{}, err
			}
			tr.Log(name, "holds")
			err := duet.Sleep(ctx, 10*ms)
			lock.Release()
			return none{}, err
		}
	}
	if err := lock.Acquire(ctx); err != nil {
		return err
	}
	names := []string{"a", "b", "c", "d"}
	ts := map[string]*aio.Task[none]{}
	for _, n := range names {
		ts[n] = aio.Spawn(ctx, user(n))
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	ts["b"].Cancel("")
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	lock.Release()
	ts["a"].Cancel("") // a was woken by the release but has not run yet
	for _, n := range names {
		if _, err := duet.Await(ctx, ts[n]); isCancel(err) {
			tr.Log(n, "ended cancelled")
		} else if err != nil {
			return err
		}
	}
	tr.Log("locked", lock.Locked())
	return nil
}

func semaphoreFifo(ctx context.Context, tr *Trace) error {
	sem, err := duet.NewSemaphore(2)
	if err != nil {
		return err
	}
	user := func(name string, hold float64) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			tr.Log(name, "wants")
			if err := sem.Acquire(ctx); err != nil {
				return none{}, err
			}
			tr.Log(name, "got")
			err := duet.Sleep(ctx, secs(hold))
			sem.Release()
			if err != nil {
				return none{}, err
			}
			tr.Log(name, "released")
			return none{}, nil
		}
	}
	ts := []*aio.Task[none]{
		aio.Spawn(ctx, user("a", 0.02)),
		aio.Spawn(ctx, user("b", 0.01)),
		aio.Spawn(ctx, user("c", 0.01)),
		aio.Spawn(ctx, user("d", 0.01)),
	}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("locked", sem.Locked())
	ts = append(ts, aio.Spawn(ctx, user("e", 0.01)))
	if err := awaitAll(ctx, ts...); err != nil {
		return err
	}
	tr.Log("locked", sem.Locked())
	b, err := duet.NewBoundedSemaphore(1)
	if err != nil {
		return err
	}
	if err := b.Acquire(ctx); err != nil {
		return err
	}
	if err := b.Release(); err != nil {
		return err
	}
	if err := b.Release(); err != nil {
		tr.Log("bounded over-release: error")
	}
	return nil
}

func semaphoreCancelledWaiters(ctx context.Context, tr *Trace) error {
	sem, err := duet.NewSemaphore(0)
	if err != nil {
		return err
	}
	user := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := sem.Acquire(ctx); err != nil {
				tr.Log(name, "cancelled")
				return none{}, err
			}
			tr.Log(name, "got")
			err := duet.Sleep(ctx, 10*ms)
			sem.Release()
			if err != nil {
				return none{}, err
			}
			tr.Log(name, "released")
			return none{}, nil
		}
	}
	names := []string{"a", "b", "c"}
	ts := map[string]*aio.Task[none]{}
	for _, n := range names {
		ts[n] = aio.Spawn(ctx, user(n))
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	sem.Release()
	sem.Release()
	ts["a"].Cancel("")
	names = append(names, "d")
	ts["d"] = aio.Spawn(ctx, user("d"))
	tr.Log("locked after releases", sem.Locked())
	for _, n := range names {
		if _, err := duet.Await(ctx, ts[n]); isCancel(err) {
			tr.Log(n, "ended cancelled")
		} else if err != nil {
			return err
		}
	}
	tr.Log("locked", sem.Locked(), "free permits", !sem.Locked())
	if err := sem.Acquire(ctx); err != nil {
		return err
	}
	if err := sem.Acquire(ctx); err != nil {
		return err
	}
	tr.Log("two permits left, locked", sem.Locked())
	return nil
}

func eventSetClear(ctx context.Context, tr *Trace) error {
	var ev duet.Event
	waiter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := ev.Wait(ctx); err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return none{}, err
			}
			tr.Log(name, "woke", true, "is_set", ev.IsSet())
			return none{}, nil
		}
	}
	ts := []*aio.Task[none]{aio.Spawn(ctx, waiter("a")), aio.Spawn(ctx, waiter("b")), aio.Spawn(ctx, waiter("c"))}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	ts[1].Cancel("")
	ev.Set()
	ev.Clear()
	tr.Log("set and cleared")
	late := aio.Spawn(ctx, waiter("late"))
	for _, t := range ts {
		if _, err := duet.Await(ctx, t); err != nil && !isCancel(err) {
			return err
		}
	}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("late done", late.IsDone())
	ev.Set()
	if _, err := duet.Await(ctx, late); err != nil {
		return err
	}
	if err := ev.Wait(ctx); err != nil {
		return err
	}
	tr.Log("wait on set event", true)
	return nil
}

func conditionNotify(ctx context.Context, tr *Trace) error {
	cond := duet.NewCondition(nil)
	n := 0
	waiter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := cond.Acquire(ctx); err != nil {
				return none{}, err
			}
			tr.Log(name, "waits")
			err := cond.Wait(ctx)
			if err == nil {
				tr.Log(name, "woke, locked", cond.Locked())
				err = duet.Sleep(ctx, 10*ms)
			}
			cond.Release()
			if err != nil {
				return none{}, err
			}
			tr.Log(name, "left")
			return none{}, nil
		}
	}
	predWaiter := func(ctx context.Context) (none, error) {
		if err := cond.Acquire(ctx); err != nil {
			return none{}, err
		}
		defer cond.Release()
		r, err := cond.WaitFor(ctx, func() bool { return n >= 2 })
		if err != nil {
			return none{}, err
		}
		tr.Log("pred_waiter got", r)
		return none{}, nil
	}
	var ts []*aio.Task[none]
	for _, name := range []string{"a", "b", "c", "d"} {
		ts = append(ts, aio.Spawn(ctx, waiter(name)))
	}
	p := aio.Spawn(ctx, predWaiter)
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := cond.Notify(1); err != nil {
		tr.Log("notify without lock: error")
	}
	if err := cond.Acquire(ctx); err != nil {
		return err
	}
	if err := cond.Notify(2); err != nil {
		return err
	}
	n = 1
	tr.Log("notified 2")
	cond.Release()
	if err := duet.Sleep(ctx, 50*ms); err != nil {
		return err
	}
	if err := cond.Acquire(ctx); err != nil {
		return err
	}
	n = 2
	if err := cond.NotifyAll(); err != nil {
		return err
	}
	tr.Log("notified all")
	cond.Release()
	if err := awaitAll(ctx, ts...); err != nil {
		return err
	}
	if _, err := duet.Await(ctx, p); err != nil {
		return err
	}
	tr.Log("done")
	return nil
}

func conditionCancelledWaiter(ctx context.Context, tr *Trace) error {
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
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := cond.Acquire(ctx); err != nil {
		return err
	}
	if err := cond.Notify(1); err != nil {
		return err
	}
	cond.Release()
	a.Cancel("")
	tr.Log("notified one, cancelled a")
	if _, err := duet.Await(ctx, a); isCancel(err) {
		tr.Log("a ended cancelled")
	}
	if err := duet.Sleep(ctx, 100*ms); err != nil {
		return err
	}
	if b.IsDone() {
		tr.Log("b done")
	} else {
		tr.Log("b lost its wake-up")
		b.Cancel("")
		if _, err := duet.Await(ctx, b); err != nil && !isCancel(err) {
			return err
		}
	}
	return nil
}

func eventWaitCancelledAfterSet(ctx context.Context, tr *Trace) error {
	var ev duet.Event
	w := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		if err := ev.Wait(ctx); err != nil {
			if isCancel(err) {
				tr.Log("waiter cancelled")
			}
			return none{}, err
		}
		tr.Log("waiter woke")
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	ev.Set()
	w.Cancel("")
	if _, err := duet.Await(ctx, w); isCancel(err) {
		tr.Log("main: waiter ended cancelled", w.Cancelled())
	} else if err != nil {
		return err
	}
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
