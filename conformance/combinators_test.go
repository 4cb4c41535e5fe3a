package conformance

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Combinator scenarios: py/gather_*.py, py/wait_*.py, py/timeout_*.py,
// py/shield_*.py, py/as_completed_*.py.
//
// Python's wait_for(coroutine, t) awaits the coroutine inline under
// asyncio.timeout (3.12+), which is duet.WithTimeout around an inline call;
// wait_for(task or future, t) is duet.WaitFor.

func init() {
	register("gather_first_error", gatherFirstError)
	register("gather_return_exceptions", gatherReturnExceptions)
	register("gather_cancelled", gatherCancelled)
	register("gather_outer_task_cancelled", gatherOuterTaskCancelled)
	register("wait_modes", waitModes)
	register("wait_for_timeout", waitForTimeout)
	register("wait_for_inner_swallows", waitForInnerSwallows)
	register("wait_for_same_instant", waitForSameInstant)
	register("timeout_external_cancel", timeoutExternalCancel)
	register("timeout_reschedule", timeoutReschedule)
	register("timeout_nested", timeoutNested)
	register("timeout_past_deadline", timeoutPastDeadline)
	register("gather_duplicates", gatherDuplicates)
	register("gather_cancel_child_swallows", gatherCancelChildSwallows)
	register("wait_same_iteration", waitSameIteration)
	register("gather_nested_cancel", gatherNestedCancel)
	register("wait_first_exception_cancelled", waitFirstExceptionCancelled)
	register("gather_return_exceptions_cancelled", gatherReturnExceptionsCancelled)
	register("as_completed_cancelled", asCompletedCancelled)
}

// currentTask returns the running task (Python: asyncio.current_task()),
// failing loudly off a task.
func currentTask(ctx context.Context) aio.AnyTask {
	t, ok := aio.CurrentTask(ctx)
	if !ok {
		panic("conformance: not on a running loop task")
	}
	return t
}

func isTimeout(err error) bool { return errors.Is(err, duet.ErrTimeout) }

// cause returns a *duet.TimeoutError's Cause (Python: __cause__).
func cause(err error) error {
	var te *duet.TimeoutError
	if errors.As(err, &te) {
		return te.Cause
	}
	return nil
}

func gatherFirstError(ctx context.Context, tr *Trace) error {
	child := func(name string, d float64, fail bool) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return "", err
			}
			if fail {
				tr.Log(name, "fails")
				return "", &Err{name}
			}
			tr.Log(name, "finishes")
			return name, nil
		}
	}
	r, err := duet.Gather(ctx,
		aio.Spawn(ctx, child("a", 0.02, false)),
		aio.Spawn(ctx, child("b", 0.01, false)),
		aio.Spawn(ctx, child("c", 0.03, false)))
	if err != nil {
		return err
	}
	tr.Log("results", r)
	slow := aio.Spawn(ctx, child("slow", 0.03, false))
	_, err = duet.Gather(ctx,
		aio.Spawn(ctx, child("x", 0.01, false)),
		aio.Spawn(ctx, child("bad", 0.02, true)),
		slow)
	var e *Err
	if !errors.As(err, &e) {
		return err
	}
	tr.Log("gather raised", err, "slow done", slow.IsDone())
	if _, err := duet.Await(ctx, slow); err != nil {
		return err
	}
	tr.Log("slow finished later, cancelled", slow.Cancelled())
	return nil
}

func gatherReturnExceptions(ctx context.Context, tr *Trace) error {
	ok := func(v string, d float64) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return "", err
			}
			return v, nil
		}
	}
	bad := func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return "", err
		}
		return "", &Err{"bad"}
	}
	victim := aio.Spawn(ctx, ok("never", 1))
	loopOf(ctx).CallLater(10*ms, func() { victim.Cancel("") })
	outs, err := duet.GatherAll(ctx,
		aio.Spawn(ctx, ok("1", 0.02)), aio.Spawn(ctx, bad), victim, aio.Spawn(ctx, ok("3", 0)))
	if err != nil {
		return err
	}
	var r []any
	for _, o := range outs {
		if o.Err != nil {
			r = append(r, o.Err)
		} else {
			r = append(r, o.Value)
		}
	}
	tr.Log("results", r)
	return nil
}

func gatherChild(tr *Trace, name string, d float64) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, secs(d)); err != nil {
			if isCancel(err) {
				tr.Log(name, "cancelled")
			}
			return "", err
		}
		tr.Log(name, "finishes")
		return name, nil
	}
}

func gatherCancelled(ctx context.Context, tr *Trace) error {
	// Python cancels the gather future itself; duet's Gather is a call, so
	// the task running it plays the gather future.
	a := aio.Spawn(ctx, gatherChild(tr, "a", 0.05))
	b := aio.Spawn(ctx, gatherChild(tr, "b", 0.01))
	c := aio.Spawn(ctx, gatherChild(tr, "c", 0.05))
	g := aio.Spawn(ctx, func(ctx context.Context) ([]string, error) {
		return duet.Gather(ctx, a, b, c)
	})
	if err := duet.Sleep(ctx, 20*ms); err != nil {
		return err
	}
	tr.Log("cancel gather", g.Cancel(""))
	if _, err := duet.Await(ctx, g); isCancel(err) {
		tr.Log("gather raised", err)
	} else if err != nil {
		return err
	}

	x := aio.Spawn(ctx, gatherChild(tr, "x", 0.05))
	y := aio.Spawn(ctx, gatherChild(tr, "y", 0.03))
	loopOf(ctx).CallLater(10*ms, func() { x.Cancel("") })
	if _, err := duet.Gather(ctx, x, y); isCancel(err) {
		tr.Log("gather raised", err, "y done", y.IsDone())
	} else if err != nil {
		return err
	}
	if _, err := duet.Await(ctx, y); err != nil {
		return err
	}
	tr.Log("y finished after the gather failed")
	return nil
}

func gatherOuterTaskCancelled(ctx context.Context, tr *Trace) error {
	child := func(name string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, time.Second); err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return "", err
			}
			return name, nil
		}
	}
	p := aio.Spawn(ctx, func(ctx context.Context) ([]string, error) {
		r, err := duet.Gather(ctx, aio.Spawn(ctx, child("a")), aio.Spawn(ctx, child("b")))
		if isCancel(err) {
			tr.Log("parent cancelled")
		}
		return r, err
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	p.Cancel("")
	if _, err := duet.Await(ctx, p); isCancel(err) {
		tr.Log("main: parent ended cancelled", p.Cancelled())
	}
	return nil
}

func waitModes(ctx context.Context, tr *Trace) error {
	type spec struct {
		name string
		d    float64
		fail bool
	}
	spawn := func(specs ...spec) []duet.Awaitable[string] {
		var out []duet.Awaitable[string]
		for _, s := range specs {
			out = append(out, aio.Spawn(ctx, func(ctx context.Context) (string, error) {
				if err := duet.Sleep(ctx, secs(s.d)); err != nil {
					return "", err
				}
				if s.fail {
					return "", &Err{s.name}
				}
				return s.name, nil
			}, aio.WithName(s.name)))
		}
		return out
	}
	names := sortedNames
	ts := spawn(spec{"a", 0.03, false}, spec{"b", 0.01, false}, spec{"c", 0.02, false})
	done, pending, err := duet.Wait(ctx, ts, duet.FirstCompleted, duet.NoTimeout)
	if err != nil {
		return err
	}
	tr.Log("first_completed", names(done), names(pending))
	if done, pending, err = duet.Wait(ctx, ts, duet.AllCompleted, duet.NoTimeout); err != nil {
		return err
	}
	tr.Log("all_completed", names(done), names(pending))

	ts = spawn(spec{"d", 0.03, false}, spec{"e", 0.01, true}, spec{"f", 0.02, false})
	if done, pending, err = duet.Wait(ctx, ts, duet.FirstException, duet.NoTimeout); err != nil {
		return err
	}
	tr.Log("first_exception", names(done), names(pending))
	if _, _, err = duet.Wait(ctx, ts, duet.AllCompleted, duet.NoTimeout); err != nil {
		return err
	}

	ts = spawn(spec{"g", 0.01, false}, spec{"h", 0.02, false})
	if done, pending, err = duet.Wait(ctx, ts, duet.FirstException, duet.NoTimeout); err != nil {
		return err
	}
	tr.Log("first_exception, none fails", names(done), names(pending))

	ts = spawn(spec{"i", 0.01, false}, spec{"j", 0.05, false})
	if done, pending, err = duet.Wait(ctx, ts, duet.AllCompleted, 20*ms); err != nil {
		return err
	}
	j := ts[1].(*aio.Task[string])
	tr.Log("timeout", names(done), names(pending), "j cancelled", j.Cancelled())
	v, err := duet.Await(ctx, j)
	if err != nil {
		return err
	}
	tr.Log("j still finished", v)
	return nil
}

func waitForTimeout(ctx context.Context, tr *Trace) error {
	inner := func(ctx context.Context, d float64, v string) (string, error) {
		if err := duet.Sleep(ctx, secs(d)); err != nil {
			if isCancel(err) {
				tr.Log("inner", v, "cancelled")
				if err := duet.Sleep(ctx, 10*ms); err != nil {
					return "", err
				}
				tr.Log("inner", v, "cleanup done")
			}
			return "", err
		}
		return v, nil
	}
	err := duet.WithTimeout(ctx, 20*ms, func(ctx context.Context) error {
		_, err := inner(ctx, 1, "slow")
		return err
	})
	if isTimeout(err) {
		tr.Log("wait_for raised", err, "cause", cause(err))
	} else if err != nil {
		return err
	}
	var v string
	if err := duet.WithTimeout(ctx, 20*ms, func(ctx context.Context) (err error) {
		v, err = inner(ctx, 0.01, "fast")
		return err
	}); err != nil {
		return err
	}
	tr.Log("got", v)
	t := aio.Spawn(ctx, func(ctx context.Context) (string, error) { return inner(ctx, 1, "zero") })
	if _, err := duet.WaitFor(ctx, t, 0); isTimeout(err) {
		tr.Log("timeout 0 raised", err, "task cancelled", t.Cancelled())
	} else if err != nil {
		return err
	}
	f := duet.NewFuture[string]()
	f.SetResult("ready")
	v, err = duet.WaitFor(ctx, f, 0)
	if err != nil {
		return err
	}
	tr.Log("timeout 0 on done future", v)
	if v, err = inner(ctx, 0.01, "none"); err != nil {
		return err
	}
	tr.Log("no timeout", v)
	return nil
}

func waitForInnerSwallows(ctx context.Context, tr *Trace) error {
	stubborn := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		if err := duet.Sleep(ctx, time.Second); isCancel(err) {
			tr.Log("inner swallows")
			if err := duet.Sleep(ctx, 10*ms); err != nil {
				return "", err
			}
		} else if err != nil {
			return "", err
		}
		return "value", nil
	})
	r, err := duet.WaitFor(ctx, stubborn, 20*ms)
	if err != nil {
		return err
	}
	tr.Log("wait_for returned", r)
	return nil
}

func waitForSameInstant(ctx context.Context, tr *Trace) error {
	inner := func(ctx context.Context, v string) (string, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return "", err
		}
		return v, nil
	}
	report := func(label, v string, err error) error {
		switch {
		case isTimeout(err):
			tr.Log(label, "timeout")
		case err != nil:
			return err
		default:
			tr.Log(label, v)
		}
		return nil
	}
	t := aio.Spawn(ctx, func(ctx context.Context) (string, error) { return inner(ctx, "task") })
	if err := duet.Sleep(ctx, 0); err != nil { // t's sleep is armed first
		return err
	}
	v, err := duet.WaitFor(ctx, t, 10*ms)
	if err := report("task armed first:", v, err); err != nil {
		return err
	}
	f := duet.NewFuture[string]()
	loopOf(ctx).CallLater(10*ms, func() { f.SetResult("future") })
	v, err = duet.WaitFor(ctx, f, 10*ms)
	if err := report("future armed first:", v, err); err != nil {
		return err
	}
	err = duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) (err error) {
		v, err = inner(ctx, "coro")
		return err
	})
	return report("coroutine:", v, err)
}

func timeoutExternalCancel(ctx context.Context, tr *Trace) error {
	var t *aio.Task[string]
	t = aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Second)
		})
		switch {
		case isTimeout(err):
			tr.Log("body: timeout")
			return "timeout", nil
		case isCancel(err):
			tr.Log("body: cancelled, cancelling", t.Cancelling())
		}
		return "", err
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	loopOf(ctx).CallLater(10*ms, func() { t.Cancel("outside") })
	if _, err := duet.Await(ctx, t); isCancel(err) {
		tr.Log("main: task cancelled", t.Cancelled())
	} else if err != nil {
		return err
	}
	return nil
}

func timeoutReschedule(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	t0 := loop.Time()
	rel := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.Sub(t0).Milliseconds()
	}
	var cm *duet.Timeout
	err := duet.WithTimeout(ctx, 50*ms, func(ctx context.Context) error {
		cm = duet.TimeoutFrom(ctx)
		tr.Log("when", rel(cm.When()), "expired", cm.Expired())
		if err := cm.Reschedule(loop.Time().Add(10 * ms)); err != nil {
			return err
		}
		tr.Log("rescheduled to", rel(cm.When()))
		return duet.Sleep(ctx, time.Second)
	})
	if !isTimeout(err) {
		return err
	}
	tr.Log("timeout, expired", cm.Expired(), "cause", cause(err))
	if err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
		cm = duet.TimeoutFrom(ctx)
		if err := cm.Reschedule(time.Time{}); err != nil {
			return err
		}
		if err := duet.Sleep(ctx, 30*ms); err != nil {
			return err
		}
		tr.Log("disabled, expired", cm.Expired(), "when", rel(cm.When()))
		return nil
	}); err != nil {
		return err
	}
	return duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
		cm = duet.TimeoutFrom(ctx)
		if err := cm.Reschedule(loop.Time().Add(50 * ms)); err != nil {
			return err
		}
		if err := duet.Sleep(ctx, 30*ms); err != nil {
			return err
		}
		tr.Log("postponed, not expired", cm.Expired())
		return nil
	})
}

func timeoutNested(ctx context.Context, tr *Trace) error {
	err := duet.WithTimeout(ctx, 20*ms, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, 50*ms, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Second)
		})
		switch {
		case isTimeout(err):
			tr.Log("inner timeout (wrong)")
			return nil
		case isCancel(err):
			tr.Log("inner passes the cancellation on")
		}
		return err
	})
	if isTimeout(err) {
		tr.Log("outer timeout")
	} else if err != nil {
		return err
	}
	if err := duet.WithTimeout(ctx, 50*ms, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, 10*ms, func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Second)
		})
		if isTimeout(err) {
			tr.Log("inner timeout")
		} else if err != nil {
			return err
		}
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return err
		}
		tr.Log("outer body goes on")
		return nil
	}); err != nil {
		return err
	}
	tr.Log("cancelling", currentTask(ctx).Cancelling())
	return nil
}

func timeoutPastDeadline(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	done := duet.NewFuture[int]()
	done.SetResult(1)
	err := duet.WithDeadline(ctx, loop.Time().Add(-time.Second), func(ctx context.Context) error {
		tr.Log("body starts")
		if _, err := duet.Await(ctx, done); err != nil {
			return err
		}
		tr.Log("after done future")
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		tr.Log("not reached")
		return nil
	})
	if isTimeout(err) {
		tr.Log("timeout")
	} else if err != nil {
		return err
	}
	err = duet.WithTimeout(ctx, 0, func(ctx context.Context) error {
		return duet.Sleep(ctx, 10*ms)
	})
	if isTimeout(err) {
		tr.Log("timeout(0) too")
	} else if err != nil {
		return err
	}
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

func waitFirstExceptionCancelled(ctx context.Context, tr *Trace) error {
	child := func(d float64, fail bool) func(context.Context) (float64, error) {
		return func(ctx context.Context) (float64, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return 0, err
			}
			if fail {
				return 0, &Err{"late"}
			}
			return d, nil
		}
	}
	victim := aio.Spawn(ctx, child(1, false), aio.WithName("victim"))
	ts := []duet.Awaitable[float64]{
		victim,
		aio.Spawn(ctx, child(0.02, true), aio.WithName("failing")),
		aio.Spawn(ctx, child(0.05, false), aio.WithName("slow")),
	}
	loopOf(ctx).CallLater(10*ms, func() { victim.Cancel("") })
	done, pending, err := duet.Wait(ctx, ts, duet.FirstException, duet.NoTimeout)
	if err != nil {
		return err
	}
	names := func(as []duet.Awaitable[float64]) []string {
		out := []string{}
		for _, a := range as {
			out = append(out, a.(*aio.Task[float64]).Name())
		}
		sort.Strings(out)
		return out
	}
	tr.Log("done", names(done), "pending", names(pending))
	_, _, err = duet.Wait(ctx, ts, duet.AllCompleted, duet.NoTimeout)
	return err
}

func gatherReturnExceptionsCancelled(ctx context.Context, tr *Trace) error {
	child := func(name string, cleanup float64) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			err := duet.Sleep(ctx, time.Second)
			if isCancel(err) {
				if err := duet.Sleep(ctx, secs(cleanup)); err != nil {
					return none{}, err
				}
				tr.Log(name, "finished cleanup")
			}
			return none{}, err
		}
	}
	p := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		r, err := duet.GatherAll(ctx, aio.Spawn(ctx, child("a", 0.01)), aio.Spawn(ctx, child("b", 0.02)))
		if err != nil {
			return none{}, err
		}
		tr.Log("parent got a list (wrong)", len(r))
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	p.Cancel("")
	if _, err := duet.Await(ctx, p); isCancel(err) {
		tr.Log("parent cancelled", p.Cancelled())
	} else if err != nil {
		return err
	}
	return nil
}

func asCompletedCancelled(ctx context.Context, tr *Trace) error {
	child := func(v string, d float64) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, secs(d)); err != nil {
				return "", err
			}
			return v, nil
		}
	}
	victim := aio.Spawn(ctx, child("victim", 1))
	loopOf(ctx).CallLater(20*ms, func() { victim.Cancel("") })
	for a, err := range duet.AsCompleted(ctx, aio.Spawn(ctx, child("a", 0.01)), victim, aio.Spawn(ctx, child("b", 0.03))) {
		if err != nil {
			return err
		}
		v, err := duet.Await(ctx, a)
		switch {
		case isCancel(err):
			tr.Log("next was cancelled")
		case err != nil:
			return err
		default:
			tr.Log("next", v)
		}
	}
	return nil
}
