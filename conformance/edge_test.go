package conformance

import (
	"context"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Edge cases across the API: when operations yield, task names, callback
// failures, shutdown, and a few primitive corner cases.

func init() {
	register("noyield_done_inputs", noyieldDoneInputs)
	register("task_names", taskNames)
	register("loop_callback_error", loopCallbackError)
	register("cancel_main_leftover_spawns", cancelMainLeftoverSpawns)
	register("timeout_swallowed", timeoutSwallowed)
	register("taskgroup_in_timeout", taskgroupInTimeout)
	register("gather_duplicates", gatherDuplicates)
	register("barrier_cancelled_waiter", barrierCancelledWaiter)
	register("queue_woken_getter_robbed", queueWokenGetterRobbed)
	register("event_wait_cancelled_after_set", eventWaitCancelledAfterSet)
}

func noyieldDoneInputs(ctx context.Context, tr *Trace) error {
	done := duet.NewFuture[int]()
	done.SetResult(1)
	var lock duet.Lock
	sem, err := duet.NewSemaphore(1)
	if err != nil {
		return err
	}
	var ev duet.Event
	ev.Set()
	cond := duet.NewCondition(nil)
	q := duet.NewQueue[int](0)
	ops := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"gather_done", func(ctx context.Context) error {
			_, err := duet.Gather(ctx, done, done)
			return err
		}},
		{"gather_empty", func(ctx context.Context) error {
			_, err := duet.Gather[int](ctx)
			return err
		}},
		{"wait_done", func(ctx context.Context) error {
			_, _, err := duet.Wait(ctx, []duet.Awaitable[int]{done}, duet.AllCompleted, duet.NoTimeout)
			return err
		}},
		{"wait_for_done", func(ctx context.Context) error {
			_, err := duet.WaitFor(ctx, done, time.Second)
			return err
		}},
		{"shield_done", func(ctx context.Context) error {
			_, err := duet.Await(ctx, duet.Shield(ctx, done))
			return err
		}},
		{"as_completed_done", func(ctx context.Context) error {
			for a, err := range duet.AsCompleted(ctx, done) {
				if err != nil {
					return err
				}
				if _, err := duet.Await(ctx, a); err != nil {
					return err
				}
			}
			return nil
		}},
		{"taskgroup_empty", func(ctx context.Context) error {
			g, _ := duet.NewGroup(ctx)
			return g.Wait()
		}},
		{"timeout_no_wait", func(ctx context.Context) error {
			return duet.WithTimeout(ctx, time.Second, func(context.Context) error { return nil })
		}},
		{"lock_free", func(ctx context.Context) error {
			if err := lock.Acquire(ctx); err != nil {
				return err
			}
			return lock.Release()
		}},
		{"semaphore_free", func(ctx context.Context) error {
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			sem.Release()
			return nil
		}},
		{"event_set", ev.Wait},
		{"condition_true", func(ctx context.Context) error {
			if err := cond.Acquire(ctx); err != nil {
				return err
			}
			defer cond.Release()
			_, err := cond.WaitFor(ctx, func() bool { return true })
			return err
		}},
		{"queue_join_empty", q.Join},
		{"queue_get_ready", func(ctx context.Context) error {
			if err := q.TryPut(1); err != nil {
				return err
			}
			if _, err := q.Get(ctx); err != nil {
				return err
			}
			return q.TaskDone()
		}},
	}
	for _, op := range ops {
		o := aio.Spawn(ctx, func(context.Context) (none, error) { return none{}, nil })
		if err := op.fn(ctx); err != nil {
			return err
		}
		tr.Log(op.name, "yielded", o.IsDone())
		if _, err := duet.Await(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

func taskNames(ctx context.Context, tr *Trace) error {
	nothing := func(context.Context) (none, error) { return none{}, nil }
	ts := []*aio.Task[none]{
		aio.Spawn(ctx, nothing),
		aio.Spawn(ctx, nothing, aio.WithName("custom")),
		aio.Spawn(ctx, nothing),
	}
	var names []string
	for _, t := range ts {
		names = append(names, t.Name())
	}
	tr.Log("names", names)
	return awaitAll(ctx, ts...)
}

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

func taskgroupInTimeout(ctx context.Context, tr *Trace) error {
	child := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			err := duet.Sleep(ctx, time.Second)
			if isCancel(err) {
				tr.Log(name, "cancelled")
				if err := duet.Sleep(ctx, 10*ms); err != nil {
					return none{}, err
				}
				tr.Log(name, "cleaned up")
			}
			return none{}, err
		}
	}
	err := duet.WithTimeout(ctx, 20*ms, func(ctx context.Context) error {
		g, _ := duet.NewGroup(ctx)
		duet.Go(g, child("only"))
		tr.Log("body waits at the end of the group")
		return g.Wait()
	})
	if isTimeout(err) {
		tr.Log("timeout")
	} else if err != nil {
		return err
	}
	tr.Log("cancelling", currentTask(ctx).Cancelling())
	return nil
}

func gatherDuplicates(ctx context.Context, tr *Trace) error {
	var runs []string
	child := func(v string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			runs = append(runs, v)
			if err := duet.Sleep(ctx, 10*ms); err != nil {
				return "", err
			}
			return v, nil
		}
	}
	t := aio.Spawn(ctx, child("t"))
	u := aio.Spawn(ctx, child("u"))
	r, err := duet.Gather(ctx, t, u, t)
	if err != nil {
		return err
	}
	tr.Log("results", r, "runs", runs)
	return nil
}

func barrierCancelledWaiter(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(2)
	if err != nil {
		return err
	}
	party := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			i, err := b.Wait(ctx)
			if err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled, waiting", b.NWaiting(), "broken", b.Broken())
				}
				return none{}, err
			}
			tr.Log(name, "passes", i)
			return none{}, nil
		}
	}
	a := aio.Spawn(ctx, party("a"))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	a.Cancel("")
	if _, err := duet.Await(ctx, a); err != nil && !isCancel(err) {
		return err
	}
	tr.Log("after cancel, waiting", b.NWaiting(), "broken", b.Broken())
	c := aio.Spawn(ctx, party("c"))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("c alone, waiting", b.NWaiting())
	if _, err := party("d")(ctx); err != nil {
		return err
	}
	_, err = duet.Await(ctx, c)
	return err
}

func queueWokenGetterRobbed(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[string](0)
	g := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		v, err := q.Get(ctx)
		if err != nil {
			return none{}, err
		}
		tr.Log("getter got", v)
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := q.TryPut("first"); err != nil {
		return err
	}
	v, err := q.TryGet()
	if err != nil {
		return err
	}
	tr.Log("main steals", v)
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("getter done", g.IsDone())
	if err := q.TryPut("second"); err != nil {
		return err
	}
	_, err = duet.Await(ctx, g)
	return err
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
