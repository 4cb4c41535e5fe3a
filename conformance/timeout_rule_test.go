package conformance

import (
	"context"
	"sort"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// The one timeout rule (py/timeout_zero_rule.py): a timeout <= 0 does not
// wait, duet.NoTimeout (Python's None) waits without limit, in Wait,
// WaitFor, WithTimeout and AsCompletedTimeout alike.

func init() {
	register("timeout_zero_rule", timeoutZeroRule)
}

// sortedNames gives the names of tasks, sorted, as the Python side logs a
// set of tasks.
func sortedNames(as []duet.Awaitable[string]) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.(*aio.Task[string]).Name())
	}
	sort.Strings(out)
	return out
}

func timeoutZeroRule(ctx context.Context, tr *Trace) error {
	child := func(name string, d time.Duration) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			if err := duet.Sleep(ctx, d); err != nil {
				return "", err
			}
			return name, nil
		}
	}
	spawn := func(name string, d time.Duration) *aio.Task[string] {
		return aio.Spawn(ctx, child(name, d), aio.WithName(name))
	}
	aws := func(ts ...*aio.Task[string]) []duet.Awaitable[string] {
		out := make([]duet.Awaitable[string], len(ts))
		for i, t := range ts {
			out[i] = t
		}
		return out
	}

	d := spawn("d", 0)
	if _, err := duet.Await(ctx, d); err != nil {
		return err
	}
	p := spawn("p", 50*ms)
	for _, t := range []time.Duration{0, -time.Second} {
		done, pending, err := duet.Wait(ctx, aws(d, p), duet.AllCompleted, t)
		if err != nil {
			return err
		}
		tr.Log("wait", int(t/time.Second), sortedNames(done), sortedNames(pending))
	}
	// q's first step runs in the poll's iteration; r needs one more step.
	q := spawn("q", 0)
	r := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
		return "r", duet.Sleep(ctx, 0)
	}, aio.WithName("r"))
	done, pending, err := duet.Wait(ctx, aws(q, r, p), duet.AllCompleted, 0)
	if err != nil {
		return err
	}
	tr.Log("wait 0, fresh tasks", sortedNames(done), sortedNames(pending))
	if done, pending, err = duet.Wait(ctx, aws(p), duet.FirstCompleted, duet.NoTimeout); err != nil {
		return err
	}
	tr.Log("wait None", sortedNames(done), sortedNames(pending))

	for _, t := range []time.Duration{0, -time.Second} {
		v, err := duet.WaitFor(ctx, d, t)
		if err != nil {
			return err
		}
		tr.Log("wait_for done", int(t/time.Second), v)
		w := spawn("w", time.Second)
		if _, err := duet.WaitFor(ctx, w, t); isTimeout(err) {
			tr.Log("wait_for pending", int(t/time.Second), err, "cancelled", w.Cancelled())
		} else if err != nil {
			return err
		}
	}
	v, err := duet.WaitFor(ctx, spawn("n", 30*ms), duet.NoTimeout)
	if err != nil {
		return err
	}
	tr.Log("wait_for None", v)

	for _, t := range []time.Duration{0, -time.Second} {
		err := duet.WithTimeout(ctx, t, func(ctx context.Context) error {
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
			tr.Log("not reached")
			return nil
		})
		if isTimeout(err) {
			tr.Log("timeout", int(t/time.Second), "expired:", err)
		} else if err != nil {
			return err
		}
		var to *duet.Timeout
		if err := duet.WithTimeout(ctx, t, func(ctx context.Context) error {
			to = duet.TimeoutFrom(ctx)
			return nil
		}); err != nil {
			return err
		}
		tr.Log("timeout", int(t/time.Second), "without a suspension: expired", to.Expired())
	}
	var to *duet.Timeout
	if err := duet.WithTimeout(ctx, duet.NoTimeout, func(ctx context.Context) error {
		to = duet.TimeoutFrom(ctx)
		var when any // Python: when() is None
		if w := to.When(); !w.IsZero() {
			when = w
		}
		tr.Log("timeout None: when", when)
		return duet.Sleep(ctx, 100*ms)
	}); err != nil {
		return err
	}
	tr.Log("timeout None: slept, expired", to.Expired())

	a := spawn("a", 10*ms)
	b := spawn("b", 50*ms)
	for _, c := range []struct {
		label   string
		timeout time.Duration
	}{{"0", 0}, {"0.02", 20 * ms}} {
		for aw, err := range duet.AsCompletedTimeout(ctx, c.timeout, aws(d, a, b)...) {
			if err != nil {
				if !isTimeout(err) {
					return err
				}
				tr.Log("as_completed", c.label, err)
				break
			}
			v, err := duet.Await(ctx, aw)
			if err != nil {
				return err
			}
			tr.Log("as_completed", c.label, v)
		}
	}
	for aw, err := range duet.AsCompletedTimeout(ctx, duet.NoTimeout, aws(a, b)...) {
		if err != nil {
			return err
		}
		v, err := duet.Await(ctx, aw)
		if err != nil {
			return err
		}
		tr.Log("as_completed None", v)
	}
	return nil
}
