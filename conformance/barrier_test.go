package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Barrier scenarios of the drain and the action: py/barrier_drain_reenter.py
// (asyncio) and py/barrier_threads_action.py (threading, from threads);
// py/thread_timeout_errors.py, the threading world's timeout exceptions.
// With them, the basic round, abort, and cancelled waiters: py/barrier_*.py.

func init() {
	register("barrier_basic", barrierBasic)
	register("barrier_abort", barrierAbort)
	register("barrier_drain_reenter", barrierDrainReenter)
	register("barrier_threads_action", barrierThreadsAction)
	register("thread_timeout_errors", threadTimeoutErrors)
	register("barrier_cancelled_waiter", barrierCancelledWaiter)
	register("barrier_cancel_after_release", barrierCancelAfterRelease)
}

func barrierDrainReenter(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(3)
	if err != nil {
		return err
	}
	party := func(name string, rounds int) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for rnd := range rounds {
				tr.Log(name, "arrives for round", rnd, "waiting", b.NWaiting())
				i, err := b.Wait(ctx)
				if err != nil {
					return none{}, err
				}
				tr.Log(name, "passes round", rnd, "index", i, "waiting", b.NWaiting())
			}
			return none{}, nil
		}
	}
	a := aio.Spawn(ctx, party("a", 2))
	c := aio.Spawn(ctx, party("c", 2))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	// main releases round 0 and re-enters at once, while a and c drain.
	if _, err := party("main", 2)(ctx); err != nil {
		return err
	}
	if err := awaitAll(ctx, a, c); err != nil {
		return err
	}
	tr.Log("broken", b.Broken(), "waiting", b.NWaiting())
	return nil
}

func barrierThreadsAction(ctx context.Context, tr *Trace) error {
	return inThread(ctx, tr, func() (log [][]any, _ error) {
		bg := context.Background()
		g1ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		var b *duet.Barrier
		b, err := duet.NewBarrier(3, duet.WithBarrierAction(func(context.Context) error {
			log = append(log, []any{"action, waiting", b.NWaiting(), "broken", b.Broken()})
			<-g1ctx.Done() // g1's timeout ends during the action
			return nil
		}))
		if err != nil {
			return nil, err
		}
		var mu sync.Mutex
		got := map[string]any{}
		party := func(ctx context.Context, name string) {
			i, err := b.Wait(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				got[name] = err
			} else {
				got[name] = i
			}
		}
		var wg sync.WaitGroup
		for n, pctx := range []context.Context{g1ctx, bg} {
			wg.Add(1)
			go func() { defer wg.Done(); party(pctx, fmt.Sprint("g", n+1)) }()
			for b.NWaiting() < n+1 {
				time.Sleep(time.Millisecond)
			}
		}
		party(bg, "g3")
		wg.Wait()
		log = append(log, []any{"indexes", []any{got["g1"], got["g2"], got["g3"]}})
		log = append(log, []any{"broken", b.Broken(), "waiting", b.NWaiting()})
		return log, nil
	})
}

// inThread runs body in a worker goroutine (aio.ToThread), the threading
// world, where it may block, then logs the lines it returned
// (py/harness.py's in_thread).
func inThread(ctx context.Context, tr *Trace, body func() ([][]any, error)) error {
	lines, err := aio.ToThread(ctx, func(context.Context) ([][]any, error) { return body() })
	for _, l := range lines {
		tr.Log(l...)
	}
	return err
}

// pyClass names a goroutine's error by the Python exception class the
// threading world raises for it, as py/thread_timeout_errors.py logs them.
func pyClass(err error) string {
	switch {
	case errors.Is(err, duet.ErrQueueEmpty):
		return "Empty"
	case errors.Is(err, duet.ErrQueueFull):
		return "Full"
	case errors.Is(err, duet.ErrBrokenBarrier):
		return "BrokenBarrierError"
	case errors.Is(err, duet.ErrTimeout):
		return "TimeoutError"
	}
	return fmt.Sprint(err)
}

func threadTimeoutErrors(ctx context.Context, tr *Trace) error {
	return inThread(ctx, tr, func() (log [][]any, _ error) {
		bg := context.Background()
		within := func(fn func(ctx context.Context) error) error {
			ctx, cancel := context.WithTimeout(bg, 10*time.Millisecond)
			defer cancel()
			return fn(ctx)
		}
		q := duet.NewQueue[int](1)
		if err := within(func(ctx context.Context) error { _, err := q.Get(ctx); return err }); err != nil {
			log = append(log, []any{"get timed out:", pyClass(err)})
		}
		if err := q.Put(bg, 1); err != nil {
			return nil, err
		}
		if err := within(func(ctx context.Context) error { return q.Put(ctx, 2) }); err != nil {
			log = append(log, []any{"put timed out:", pyClass(err)})
		}
		log = append(log, []any{"queue holds", q.Len()})

		b, err := duet.NewBarrier(3)
		if err != nil {
			return nil, err
		}
		got := make(chan error, 1)
		go func() { _, err := b.Wait(bg); got <- err }()
		for b.NWaiting() < 1 {
			time.Sleep(time.Millisecond)
		}
		if err := within(func(ctx context.Context) error { _, err := b.Wait(ctx); return err }); err != nil {
			log = append(log, []any{"barrier wait timed out:", pyClass(err)})
		}
		log = append(log, []any{"other party:", pyClass(<-got), "broken", b.Broken(), "waiting", b.NWaiting()})
		return log, nil
	})
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

func barrierBasic(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(3)
	if err != nil {
		return err
	}
	party := func(name string, delay float64) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			if err := duet.Sleep(ctx, secs(delay)); err != nil {
				return 0, err
			}
			tr.Log(name, "arrives, waiting", b.NWaiting())
			i, err := b.Wait(ctx)
			if err != nil {
				return 0, err
			}
			tr.Log(name, "passes with index", i)
			return i, nil
		}
	}
	for rnd := range 2 {
		var ts []*aio.Task[int]
		for _, p := range []struct {
			n string
			d float64
		}{{"a", 0.02}, {"b", 0.01}, {"c", 0.03}} {
			ts = append(ts, aio.Spawn(ctx, party(fmt.Sprint(p.n, rnd), p.d)))
		}
		var got []int
		for _, t := range ts {
			i, err := duet.Await(ctx, t)
			if err != nil {
				return err
			}
			got = append(got, i)
		}
		tr.Log("round", rnd, got, "broken", b.Broken(), "waiting", b.NWaiting())
	}
	return nil
}

func barrierAbort(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(3)
	if err != nil {
		return err
	}
	party := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			i, err := b.Wait(ctx)
			if err != nil {
				tr.Log(name, "got", err)
				if isCancel(err) {
					return none{}, err
				}
				return none{}, nil
			}
			tr.Log(name, "passes", i)
			return none{}, nil
		}
	}
	ts := []*aio.Task[none]{aio.Spawn(ctx, party("a")), aio.Spawn(ctx, party("b"))}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	tr.Log("waiting", b.NWaiting())
	b.Abort()
	tr.Log("aborted, broken", b.Broken())
	if err := awaitAll(ctx, ts...); err != nil {
		return err
	}
	if _, err := party("late")(ctx); err != nil {
		return err
	}
	b.Reset()
	tr.Log("reset, broken", b.Broken())
	ts = []*aio.Task[none]{aio.Spawn(ctx, party("x")), aio.Spawn(ctx, party("y")), aio.Spawn(ctx, party("z"))}
	return awaitAll(ctx, ts...)
}
