package conformance

import (
	"context"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Tasks: when operations yield (nothing does for inputs already done),
// default task names, and eager starts.

func init() {
	register("noyield_done_inputs", noyieldDoneInputs)
	register("task_names", taskNames)
	register("task_eager", taskEager)
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
