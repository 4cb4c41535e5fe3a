package conformance

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// TaskGroup, shield and as_completed scenarios: py/taskgroup_*.py,
// py/shield_*.py, py/as_completed_*.py.

func init() {
	register("taskgroup_two_failures", taskgroupTwoFailures)
	register("taskgroup_body_error", taskgroupBodyError)
	register("taskgroup_external_cancel", taskgroupExternalCancel)
	register("taskgroup_success", taskgroupSuccess)
	register("shield_basic", shieldBasic)
	register("as_completed_order", asCompletedOrder)
	register("taskgroup_in_timeout", taskgroupInTimeout)
	register("taskgroup_cancel_collision", taskgroupCancelCollision)
	register("taskgroup_create_after_abort", taskgroupCreateAfterAbort)
}

func taskgroupTwoFailures(ctx context.Context, tr *Trace) error {
	child := func(name string, d float64, fail bool) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return none{}, err
			}
			if fail {
				tr.Log(name, "fails")
				return none{}, &Err{name}
			}
			tr.Log(name, "finishes")
			return none{}, nil
		}
	}
	g, gctx := duet.NewGroup(ctx)
	duet.Go(g, child("ok", 0.01, false))
	duet.Go(g, child("a", 0.02, true))
	duet.Go(g, child("b", 0.02, true))
	duet.Go(g, child("slow", 1, false))
	if err := duet.Sleep(gctx, time.Second); isCancel(err) {
		tr.Log("body cancelled")
	}
	if err := g.Wait(); err != nil {
		tr.Log("group raised", err)
	}
	tr.Log("cancelling", currentTask(ctx).Cancelling())
	return nil
}

// joined returns the errors errors.Join put together (err itself if it is
// a single error, none for nil).
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok {
		return m.Unwrap()
	}
	return []error{err}
}

// raised returns what Python's TaskGroup raises for a group's error: an
// ExceptionGroup even of one failure, where duet's Wait returns a single
// failure as itself; a cancellation is raised as it is.
func raised(err error) error {
	if err == nil || isGroup(err) || isCancel(err) {
		return err
	}
	return errors.Join(err)
}

func taskgroupBodyError(ctx context.Context, tr *Trace) error {
	var cancelled []string
	child := func(name string, failOnCancel bool) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			err := duet.Sleep(ctx, time.Second)
			if isCancel(err) {
				cancelled = append(cancelled, name)
				if failOnCancel {
					if err := duet.Sleep(ctx, 10*ms); err != nil {
						return none{}, err
					}
					tr.Log(name, "fails during cleanup")
					return none{}, &Err{name}
				}
			}
			return none{}, err
		}
	}
	g, gctx := duet.NewGroup(ctx)
	kids := []*duet.Future[none]{
		duet.Go(g, child("a", false)),
		duet.Go(g, child("b", true)),
		duet.Go(g, child("c", false)),
	}
	if err := duet.Sleep(gctx, 10*ms); err != nil {
		return err
	}
	tr.Log("body raises")
	bodyErr := &Err{"body"}
	// Python: an exception leaving the "async with TaskGroup" body cancels
	// the children (not the body's task), waits for them and is raised
	// last in the ExceptionGroup. duet's Group has no call for a failing
	// body, so the body does that by hand.
	for _, k := range kids {
		k.Cancel("")
	}
	err := raised(g.Wait())
	sort.Strings(cancelled)
	tr.Log("group raised", errors.Join(append(joined(err), bodyErr)...), "cancelled", cancelled)
	return nil
}

func taskgroupExternalCancel(ctx context.Context, tr *Trace) error {
	child := func(name string, d float64) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			err := duet.Sleep(ctx, secs(d))
			if err == nil {
				tr.Log(name, "finishes")
				return name, nil
			}
			if isCancel(err) {
				tr.Log(name, "cancelled")
				if err := duet.Sleep(ctx, 10*ms); err != nil {
					return "", err
				}
				tr.Log(name, "cleaned up")
			}
			return "", err
		}
	}
	kids := map[string]*duet.Future[string]{}
	runner := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		g, gctx := duet.NewGroup(ctx)
		kids["quick"] = duet.Go(g, child("quick", 0.01))
		kids["slow"] = duet.Go(g, child("slow", 1))
		serr := duet.Sleep(gctx, time.Second)
		err := g.Wait()
		if err == nil {
			err = serr
		}
		if isCancel(err) {
			tr.Log("runner: cancelled out of the group")
		}
		return none{}, err
	})
	if err := duet.Sleep(ctx, 20*ms); err != nil {
		return err
	}
	runner.Cancel("")
	if _, err := duet.Await(ctx, runner); isCancel(err) {
		tr.Log("main: runner cancelled", runner.Cancelled())
	} else if err != nil {
		return err
	}
	v, _ := kids["quick"].Result()
	tr.Log("quick", v, "slow cancelled", kids["slow"].Cancelled())
	return nil
}

func taskgroupSuccess(ctx context.Context, tr *Trace) error {
	g, _ := duet.NewGroup(ctx)
	var child func(name string, d float64, spawn string) func(context.Context) (string, error)
	child = func(name string, d float64, spawn string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return "", err
			}
			if spawn != "" {
				duet.Go(g, child(spawn, 0.02, ""))
			}
			tr.Log(name, "done")
			return name, nil
		}
	}
	a := duet.Go(g, child("a", 0.01, "a-child"))
	b := duet.Go(g, child("b", 0.02, ""))
	tr.Log("body ends")
	if err := g.Wait(); err != nil {
		return err
	}
	va, _ := a.Result()
	vb, _ := b.Result()
	tr.Log("group done", va, vb)
	return nil
}

func shieldBasic(ctx context.Context, tr *Trace) error {
	inner := func(name string, d float64) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				if isCancel(err) {
					tr.Log(name, "inner cancelled")
				}
				return "", err
			}
			tr.Log(name, "inner finishes")
			return name, nil
		}
	}
	it := aio.Spawn(ctx, inner("one", 0.03))
	o := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		v, err := duet.Await(ctx, duet.Shield(ctx, it))
		if isCancel(err) {
			tr.Log("outer cancelled")
		}
		return v, err
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	o.Cancel("")
	if _, err := duet.Await(ctx, o); isCancel(err) {
		tr.Log("main: outer cancelled", o.Cancelled(), "inner done", it.IsDone())
	} else if err != nil {
		return err
	}
	v, err := duet.Await(ctx, it)
	if err != nil {
		return err
	}
	tr.Log("inner result", v)

	it2 := aio.Spawn(ctx, inner("two", 0.03))
	loopOf(ctx).CallLater(10*ms, func() { it2.Cancel("") })
	if _, err := duet.Await(ctx, duet.Shield(ctx, it2)); isCancel(err) {
		tr.Log("shield of cancelled inner: cancelled")
	} else if err != nil {
		return err
	}
	it3 := aio.Spawn(ctx, inner("three", 0.01))
	if v, err = duet.Await(ctx, duet.Shield(ctx, it3)); err != nil {
		return err
	}
	tr.Log("shield plain", v)
	return nil
}

func asCompletedOrder(ctx context.Context, tr *Trace) error {
	child := func(v string, d float64, fail bool) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return "", err
			}
			if fail {
				return "", &Err{v}
			}
			return v, nil
		}
	}
	for a, err := range duet.AsCompleted(ctx,
		aio.Spawn(ctx, child("a", 0.03, false)),
		aio.Spawn(ctx, child("b", 0.01, false)),
		aio.Spawn(ctx, child("c", 0.02, true))) {
		if err != nil {
			return err
		}
		v, err := duet.Await(ctx, a)
		var e *Err
		switch {
		case errors.As(err, &e):
			tr.Log("next raised", err)
		case err != nil:
			return err
		default:
			tr.Log("next", v)
		}
	}
	slow := aio.Spawn(ctx, child("slow", 0.05, false))
	quick := aio.Spawn(ctx, child("quick", 0.01, false))
	err := duet.WithTimeout(ctx, 20*ms, func(ctx context.Context) error {
		for a, err := range duet.AsCompleted(ctx, quick, slow) {
			if err != nil {
				return err
			}
			v, err := duet.Await(ctx, a)
			if err != nil {
				return err
			}
			tr.Log("next", v)
		}
		return nil
	})
	if isTimeout(err) {
		tr.Log("timeout; slow cancelled", slow.Cancelled())
	} else if err != nil {
		return err
	}
	v, err := duet.Await(ctx, slow)
	if err != nil {
		return err
	}
	tr.Log("slow", v)
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
