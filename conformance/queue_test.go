package conformance

import (
	"context"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Queue scenarios: py/queue_*.py.

func init() {
	register("queue_fifo", queueFifo)
	register("queue_join", queueJoin)
	register("queue_cancelled_getter", queueCancelledGetter)
	register("queue_lifo_priority", queueLifoPriority)
	register("queue_shutdown", queueShutdown)
	register("queue_shutdown_immediate", queueShutdownImmediate)
	register("queue_woken_getter_robbed", queueWokenGetterRobbed)
	register("queue_putter_woken_cancelled", queuePutterWokenCancelled)
	register("queue_join_cancelled", queueJoinCancelled)
}

func queueFifo(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[any](2)
	if _, err := q.TryGet(); err != nil {
		tr.Log("get_nowait on empty:", err)
	}
	getter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			v, err := q.Get(ctx)
			if err != nil {
				return none{}, err
			}
			tr.Log(name, "got", v)
			return none{}, nil
		}
	}
	gs := []*aio.Task[none]{aio.Spawn(ctx, getter("g1")), aio.Spawn(ctx, getter("g2"))}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	for _, v := range []string{"x", "y"} {
		if err := q.Put(ctx, v); err != nil {
			return err
		}
	}
	tr.Log("put x y, qsize", q.Len())
	if err := awaitAll(ctx, gs...); err != nil {
		return err
	}
	putter := func(v int) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := q.Put(ctx, v); err != nil {
				return none{}, err
			}
			tr.Log("put", v, "done")
			return none{}, nil
		}
	}
	for _, v := range []int{1, 2} {
		if err := q.Put(ctx, v); err != nil {
			return err
		}
	}
	if err := q.TryPut(0); err != nil {
		tr.Log("put_nowait on full:", err, "full", q.Full())
	}
	ps := []*aio.Task[none]{aio.Spawn(ctx, putter(3)), aio.Spawn(ctx, putter(4)), aio.Spawn(ctx, putter(5))}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	for range 5 {
		v, err := q.Get(ctx)
		if err != nil {
			return err
		}
		tr.Log("get", v)
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
	}
	if err := awaitAll(ctx, ps...); err != nil {
		return err
	}
	tr.Log("empty", q.Empty())
	return nil
}

func queueJoin(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[float64](0)
	worker := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for {
				v, err := q.Get(ctx)
				if err != nil {
					return none{}, err
				}
				if err := duet.Sleep(ctx, secs(v)); err != nil {
					return none{}, err
				}
				tr.Log(name, "processed", v)
				if err := q.TaskDone(); err != nil {
					return none{}, err
				}
			}
		}
	}
	for _, v := range []float64{0.01, 0.03, 0.02, 0.01} {
		if err := q.TryPut(v); err != nil {
			return err
		}
	}
	ws := []*aio.Task[none]{aio.Spawn(ctx, worker("w1")), aio.Spawn(ctx, worker("w2"))}
	if err := q.Join(ctx); err != nil {
		return err
	}
	tr.Log("joined, unfinished items gone, qsize", q.Len())
	if err := q.Join(ctx); err != nil {
		return err
	}
	tr.Log("second join returns at once")
	for _, w := range ws {
		w.Cancel("")
	}
	if err := q.TaskDone(); err != nil {
		tr.Log("task_done too many: error")
	}
	return nil
}

func queueCancelledGetter(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[string](0)
	getter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			v, err := q.Get(ctx)
			if err != nil {
				if isCancel(err) {
					tr.Log(name, "cancelled")
				}
				return none{}, err
			}
			tr.Log(name, "got", v)
			return none{}, nil
		}
	}
	g1 := aio.Spawn(ctx, getter("g1"))
	g2 := aio.Spawn(ctx, getter("g2"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := q.TryPut("item"); err != nil {
		return err
	}
	g1.Cancel("")
	for _, g := range []*aio.Task[none]{g1, g2} {
		if _, err := duet.Await(ctx, g); err != nil && !isCancel(err) {
			return err
		}
	}
	tr.Log("qsize", q.Len())

	b := duet.NewQueue[string](1)
	if err := b.TryPut("first"); err != nil {
		return err
	}
	putter := func(v string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := b.Put(ctx, v); err != nil {
				if isCancel(err) {
					tr.Log("putter", v, "cancelled")
				}
				return none{}, err
			}
			tr.Log("put", v)
			return none{}, nil
		}
	}
	p1 := aio.Spawn(ctx, putter("p1"))
	p2 := aio.Spawn(ctx, putter("p2"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	p1.Cancel("")
	v, err := b.TryGet()
	if err != nil {
		return err
	}
	tr.Log("get", v)
	for _, p := range []*aio.Task[none]{p1, p2} {
		if _, err := duet.Await(ctx, p); err != nil && !isCancel(err) {
			return err
		}
	}
	var left []string
	for n := b.Len(); n > 0; n-- {
		v, err := b.TryGet()
		if err != nil {
			return err
		}
		left = append(left, v)
	}
	tr.Log("queue holds", left)
	return nil
}

func queueLifoPriority(ctx context.Context, tr *Trace) error {
	lq := duet.NewLifoQueue[int](0)
	pq, err := duet.NewPriorityQueue[int](0, func(a, b int) bool { return a < b })
	if err != nil {
		return err
	}
	for _, v := range []int{3, 1, 2} {
		if err := lq.TryPut(v); err != nil {
			return err
		}
		if err := pq.TryPut(v); err != nil {
			return err
		}
	}
	drain := func(q *duet.Queue[int]) []int {
		var out []int
		for range 3 {
			v, _ := q.TryGet()
			out = append(out, v)
		}
		return out
	}
	tr.Log("lifo", drain(lq))
	tr.Log("priority", drain(pq))
	g := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return pq.Get(ctx) })
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	if err := pq.TryPut(9); err != nil {
		return err
	}
	if err := pq.TryPut(4); err != nil {
		return err
	}
	v, err := duet.Await(ctx, g)
	if err != nil {
		return err
	}
	left, err := pq.TryGet()
	if err != nil {
		return err
	}
	tr.Log("waiting getter got", v, "left", left)
	return nil
}

func queueShutdown(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[int](2)
	for _, v := range []int{1, 2} {
		if err := q.TryPut(v); err != nil {
			return err
		}
	}
	p := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		if err := q.Put(ctx, 3); err != nil {
			tr.Log("putter", 3, "raised", err)
			return none{}, nil
		}
		tr.Log("put", 3)
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	q.Shutdown(false)
	tr.Log("shut down, qsize", q.Len())
	if _, err := duet.Await(ctx, p); err != nil {
		return err
	}
	if err := q.TryPut(4); err != nil {
		tr.Log("put_nowait raised", err)
	}
	a, err := q.Get(ctx)
	if err != nil {
		return err
	}
	b, err := q.TryGet()
	if err != nil {
		return err
	}
	tr.Log("get", a, "get", b)
	if _, err := q.Get(ctx); err != nil {
		tr.Log("get on drained queue raised", err)
	}

	e := duet.NewQueue[int](0)
	getter := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			v, err := e.Get(ctx)
			if err != nil {
				tr.Log(name, "raised", err)
				return none{}, nil
			}
			tr.Log(name, "got", v)
			return none{}, nil
		}
	}
	gs := []*aio.Task[none]{aio.Spawn(ctx, getter("g1")), aio.Spawn(ctx, getter("g2"))}
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	e.Shutdown(false)
	return awaitAll(ctx, gs...)
}

func queueShutdownImmediate(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[string](0)
	for _, v := range []string{"a", "b", "c"} {
		if err := q.TryPut(v); err != nil {
			return err
		}
	}
	v, err := q.TryGet()
	if err != nil {
		return err
	}
	tr.Log("got", v)
	j := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		if err := q.Join(ctx); err != nil {
			return none{}, err
		}
		tr.Log("join returned")
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	q.Shutdown(true)
	tr.Log("shut down immediately, qsize", q.Len(), "empty", q.Empty())
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("join done", j.IsDone())
	if err := q.TaskDone(); err != nil { // for "a", taken before the shutdown
		return err
	}
	if _, err := duet.Await(ctx, j); err != nil {
		return err
	}
	if _, err := q.TryGet(); err != nil {
		tr.Log("get_nowait raised", err)
	}
	if err := q.TaskDone(); err != nil {
		tr.Log("task_done too many: error")
	}

	e := duet.NewQueue[int](0)
	g := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		if _, err := e.Get(ctx); err != nil {
			tr.Log("blocked getter raised", err)
		}
		return none{}, nil
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	e.Shutdown(true)
	_, err = duet.Await(ctx, g)
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

func queuePutterWokenCancelled(ctx context.Context, tr *Trace) error {
	q := duet.NewQueue[string](1)
	if err := q.TryPut("x"); err != nil {
		return err
	}
	putter := func(v string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := q.Put(ctx, v); err != nil {
				if isCancel(err) {
					tr.Log("putter", v, "cancelled")
				}
				return none{}, err
			}
			tr.Log("put", v)
			return none{}, nil
		}
	}
	p1 := aio.Spawn(ctx, putter("p1"))
	p2 := aio.Spawn(ctx, putter("p2"))
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	v, err := q.TryGet()
	if err != nil {
		return err
	}
	tr.Log("got", v)
	p1.Cancel("")
	for _, p := range []*aio.Task[none]{p1, p2} {
		if _, err := duet.Await(ctx, p); err != nil && !isCancel(err) {
			return err
		}
	}
	if v, err = q.TryGet(); err != nil {
		return err
	}
	tr.Log("queue holds", v)
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
