package conformance

import (
	"context"
	"sort"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Timeouts firing together, and cancelled children seen by the
// combinators.

func init() {
	register("timeout_nested_same_instant", timeoutNestedSameInstant)
	register("wait_first_exception_cancelled", waitFirstExceptionCancelled)
	register("gather_return_exceptions_cancelled", gatherReturnExceptionsCancelled)
	register("as_completed_cancelled", asCompletedCancelled)
	register("wait_for_future_timeout", waitForFutureTimeout)
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
