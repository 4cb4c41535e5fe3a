package conformance

import (
	"context"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Cancellation through combinators and the refusals of finished or
// shutting-down objects.

func init() {
	register("taskgroup_create_after_abort", taskgroupCreateAfterAbort)
	register("gather_nested_cancel", gatherNestedCancel)
	register("timeout_reschedule_edges", timeoutRescheduleEdges)
	register("wait_for_outside_cancel", waitForOutsideCancel)
	register("queue_join_cancelled", queueJoinCancelled)
}

func taskgroupCreateAfterAbort(ctx context.Context, tr *Trace) error {
	never := func(context.Context) (none, error) {
		tr.Log("never runs")
		return none{}, nil
	}
	g, gctx := duet.NewGroup(ctx)
	duet.Go(g, func(ctx context.Context) (none, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return none{}, err
		}
		return none{}, &Err{"child"}
	})
	if err := duet.Sleep(gctx, time.Second); isCancel(err) {
		if f := duet.Go(g, never); f.IsDone() && f.Err() != nil {
			tr.Log("aborting group refuses a child")
		} else {
			tr.Log("aborting group accepted a child")
		}
	}
	if err := g.Wait(); err != nil {
		tr.Log("group raised", raised(err))
	}
	if f := duet.Go(g, never); f.IsDone() && f.Err() != nil {
		tr.Log("finished group refuses a child")
	} else {
		tr.Log("finished group accepted a child")
	}
	return duet.Sleep(ctx, 10*ms)
}

func gatherNestedCancel(ctx context.Context, tr *Trace) error {
	leaf := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			err := duet.Sleep(ctx, time.Second)
			if isCancel(err) {
				tr.Log(name, "cancelled")
			}
			return none{}, err
		}
	}
	gatherOf := func(ctx context.Context, aws ...duet.Awaitable[none]) (none, error) {
		_, err := duet.Gather(ctx, aws...)
		return none{}, err
	}
	t := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		// Python's gather wraps the coroutines in tasks when it is called,
		// in argument order: inner's task, then c's.
		inner := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
			return gatherOf(ctx, aio.Spawn(ctx, leaf("a")), aio.Spawn(ctx, leaf("b")))
		})
		return gatherOf(ctx, inner, aio.Spawn(ctx, leaf("c")))
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	t.Cancel("")
	if _, err := duet.Await(ctx, t); isCancel(err) {
		tr.Log("outer cancelled", t.Cancelled())
	} else if err != nil {
		return err
	}
	return nil
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

func queueJoinCancelled(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[int](0)
	if err := q.TryPut(1); err != nil {
		return err
	}
	joiner := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := q.Join(ctx); err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return none{}, err
			}
			tr.Log(name, "joined")
			return none{}, nil
		}
	}
	j1 := aio.Spawn(ctx, joiner("j1"))
	j2 := aio.Spawn(ctx, joiner("j2"))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	j1.Cancel("")
	if _, err := duet.Await(ctx, j1); err != nil && !isCancel(err) {
		return err
	}
	if _, err := q.TryGet(); err != nil {
		return err
	}
	if err := q.TaskDone(); err != nil {
		return err
	}
	if _, err := duet.Await(ctx, j2); err != nil {
		return err
	}
	tr.Log("j2 done")
	return nil
}
