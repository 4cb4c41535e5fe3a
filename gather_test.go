package duet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// gatherKit holds the child and helper tasks of the gather scenarios, the
// twins of the Python script in each test's comment.
type gatherKit struct {
	log tlog
}

// child sleeps d and returns n; on cancellation it logs, and returns -n
// instead of failing when swallow is set.
func (k *gatherKit) child(n int, d time.Duration, swallow bool) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, d); err != nil {
			k.log.add("c%d cancelled", n)
			if swallow {
				return -n, nil
			}
			return 0, err
		}
		k.log.add("c%d done", n)
		return n, nil
	}
}

func (k *gatherKit) ticker(n int) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for i := range n {
			k.log.add("t%d", i)
			duet.Sleep(ctx, 0)
		}
		return 0, nil
	}
}

func (k *gatherKit) waiter(all bool, cs ...duet.Awaitable[int]) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		var err error
		if all {
			var out []duet.Outcome[int]
			out, err = duet.GatherAll(ctx, cs...)
			if err == nil {
				k.log.add("gather %v", out)
			}
		} else {
			var vs []int
			vs, err = duet.Gather(ctx, cs...)
			if err == nil {
				k.log.add("gather %v", vs)
			}
		}
		if isCancel(err) {
			k.log.add("gather cancelled")
		}
		return 0, err
	}
}

// Python (3.11):
//
//	c1, c2 = create_task(child(1)), create_task(child(2))
//	w = create_task(waiter(c1, c2)); await sleep(1)
//	tk = create_task(ticker(5)); w.cancel(); await w
//	-> t0 c1 cancelled c2 cancelled t1 t2 gather cancelled t3 w cancelled True t4
func TestGatherCancelWaitingTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		c1 := aio.Spawn(ctx, k.child(1, 10*time.Second, false))
		c2 := aio.Spawn(ctx, k.child(2, 10*time.Second, false))
		w := aio.Spawn(ctx, k.waiter(false, c1, c2))
		duet.Sleep(ctx, time.Second)
		tk := aio.Spawn(ctx, k.ticker(5))
		w.Cancel("")
		_, err := duet.Await(ctx, w)
		k.log.add("w cancelled %v", isCancel(err) && w.Cancelled())
		duet.Await(ctx, tk)
		k.log.want(t, "t0 c1 cancelled c2 cancelled t1 t2 gather cancelled t3 w cancelled true t4")
		return nil
	})
}

// Python: children that swallow the cancellation -> the gather still
// raises CancelledError once all are done:
// "c1 cancelled c2 cancelled gather cancelled w cancelled True -1 -2".
func TestGatherCancelChildrenSwallow(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		c1 := aio.Spawn(ctx, k.child(1, 10*time.Second, true))
		c2 := aio.Spawn(ctx, k.child(2, 10*time.Second, true))
		w := aio.Spawn(ctx, k.waiter(false, c1, c2))
		duet.Sleep(ctx, time.Second)
		w.Cancel("stop")
		_, err := duet.Await(ctx, w)
		var ce *duet.CancelledError
		k.log.add("w cancelled %v", errors.As(err, &ce) && w.Cancelled())
		v1, _ := c1.Result()
		v2, _ := c2.Result()
		k.log.add("%d %d", v1, v2)
		k.log.want(t, "c1 cancelled c2 cancelled gather cancelled w cancelled true -1 -2")
		if ce == nil || ce.Msg != "stop" {
			t.Errorf("cancellation %v does not carry the message", err)
		}
		return nil
	})
}

// Python: a child cancelled on its own -> the gather raises CancelledError,
// the other child goes on: "c1 cancelled gather cancelled w cancelled True c2 done".
func TestGatherChildCancelled(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		c1 := aio.Spawn(ctx, k.child(1, 10*time.Second, false))
		c2 := aio.Spawn(ctx, k.child(2, 2*time.Second, false))
		w := aio.Spawn(ctx, k.waiter(false, c1, c2))
		duet.Sleep(ctx, time.Second)
		c1.Cancel("")
		_, err := duet.Await(ctx, w)
		k.log.add("w cancelled %v", isCancel(err) && w.Cancelled())
		duet.Await(ctx, c2)
		k.log.want(t, "c1 cancelled gather cancelled w cancelled true c2 done")
		return nil
	})
}

// Python: gather(c1, c2, return_exceptions=True) cancelled, c1 swallows ->
// "c1 cancelled c2 cancelled gather cancelled w cancelled True".
func TestGatherAllCancelWaitingTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		c1 := aio.Spawn(ctx, k.child(1, 10*time.Second, true))
		c2 := aio.Spawn(ctx, k.child(2, 10*time.Second, false))
		w := aio.Spawn(ctx, k.waiter(true, c1, c2))
		duet.Sleep(ctx, time.Second)
		w.Cancel("")
		_, err := duet.Await(ctx, w)
		k.log.add("w cancelled %v", isCancel(err) && w.Cancelled())
		k.log.want(t, "c1 cancelled c2 cancelled gather cancelled w cancelled true")
		return nil
	})
}

// Python: gather(c1 (2 s), fail (1 s), c3 (cancelled at 0.5 s),
// return_exceptions=True) -> [1, ValueError('x'), CancelledError()].
func TestGatherAllOutcomes(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		errX := errors.New("x")
		c1 := aio.Spawn(ctx, k.child(1, 2*time.Second, false))
		c2 := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			duet.Sleep(ctx, time.Second)
			return 0, errX
		})
		c3 := aio.Spawn(ctx, k.child(3, 10*time.Second, false))
		aio.LoopOf(ctx).CallLater(500*time.Millisecond, func() { c3.Cancel("") })
		out, err := duet.GatherAll[int](ctx, c1, c2, c3, c1)
		if err != nil {
			return err
		}
		if len(out) != 4 || out[0].Value != 1 || out[0].Err != nil || out[1].Err != errX ||
			!isCancel(out[2].Err) || out[3] != out[0] {
			t.Errorf("outcomes %+v", out)
		}
		if vnow(ctx) != 2*time.Second {
			t.Errorf("returned at %v, want 2s", vnow(ctx))
		}
		out, err = duet.GatherAll[int](ctx)
		if err != nil || out == nil || len(out) != 0 {
			t.Errorf("no awaitables: %v, %v", out, err)
		}
		return nil
	})
}

// Python: the first error is raised at once (1 s) while the sibling keeps
// running and finishes later; its own failure is then not reported as lost.
func TestGatherFirstError(t *testing.T) {
	var reports []string
	var mu sync.Mutex
	handler := func(_ *aio.Loop, ec aio.ExceptionContext) {
		mu.Lock()
		reports = append(reports, ec.Message+": "+fmt.Sprint(ec.Err))
		mu.Unlock()
	}
	errX := errors.New("x")
	errY := errors.New("y")
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		var k gatherKit
		c1 := aio.Spawn(ctx, k.child(1, 2*time.Second, false))
		fail := func(d time.Duration, e error) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				duet.Sleep(ctx, d)
				return 0, e
			}
		}
		c2 := aio.Spawn(ctx, fail(time.Second, errX))
		c3 := aio.Spawn(ctx, fail(3*time.Second, errY))
		vs, err := duet.Gather[int](ctx, c1, c2, c3)
		k.log.add("err %v at %v c1done=%v", err, vnow(ctx), c1.IsDone())
		if vs != nil || err != errX {
			t.Errorf("got %v, %v; want nil, x", vs, err)
		}
		duet.Await(ctx, c1)
		duet.Sleep(ctx, 5*time.Second) // c3 fails meanwhile, nobody awaits it
		k.log.want(t, "err x at 1s c1done=false c1 done")
		return nil
	}, vclock(), aio.WithExceptionHandler(handler))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 0 {
		t.Errorf("loop reported %q; a gathered child's failure counts as retrieved", reports)
	}
}

// Python 3.12+: a gather of futures already done does not yield to the
// loop (3.11 did, scheduling its done callbacks):
// "t0 before after [1, 1] t1 t2 t3". The same future twice is gathered
// once, its value at both positions. An already failed child decides at
// once too.
func TestGatherAlreadyDone(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		f := duet.NewFuture[int]()
		f.SetResult(1)
		tk := aio.Spawn(ctx, k.ticker(4))
		duet.Sleep(ctx, 0)
		k.log.add("before")
		vs, err := duet.Gather[int](ctx, f, f)
		k.log.add("after %v", vs)
		if err != nil {
			return err
		}
		duet.Await(ctx, tk)
		k.log.want(t, "t0 before after [1 1] t1 t2 t3")
		boom := errors.New("boom")
		failed := duet.NewFuture[int]()
		failed.SetError(boom)
		pending := duet.NewFuture[int]()
		tk = aio.Spawn(ctx, k.ticker(1))
		if _, err := duet.Gather[int](ctx, pending, failed); err != boom || tk.IsDone() {
			t.Errorf("already failed: %v (yielded %v)", err, tk.IsDone())
		}
		if duet.FutureWaiters(pending) != 1 {
			t.Errorf("%d subscriptions on the pending sibling, want 1 (kept to mark its error retrieved)", duet.FutureWaiters(pending))
		}
		pending.SetResult(0)
		vs, err = duet.Gather[int](ctx)
		if err != nil || vs == nil || len(vs) != 0 {
			t.Errorf("no awaitables: %v, %v", vs, err)
		}
		return nil
	})
}

// Python's ordering: the gathering task resumes two iterations after the
// last child finished (child done callback, then the gather's own):
// "t0 start1 start2 t1 end1 end2 t2 t3 gathered [1, 2] t4 t5".
func TestGatherResumeOrder(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		child := func(n int) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				k.log.add("start%d", n)
				duet.Sleep(ctx, 0)
				k.log.add("end%d", n)
				return n, nil
			}
		}
		tk := aio.Spawn(ctx, k.ticker(6))
		c1 := aio.Spawn(ctx, child(1))
		c2 := aio.Spawn(ctx, child(2))
		vs, err := duet.Gather[int](ctx, c1, c2)
		if err != nil {
			return err
		}
		k.log.add("gathered %v", vs)
		duet.Await(ctx, tk)
		k.log.want(t, "t0 start1 start2 t1 end1 end2 t2 t3 gathered [1 2] t4 t5")
		return nil
	})
}

func TestGatherBadInput(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		f := duet.NewFuture[int]()
		var nilTask *aio.Task[int]
		_, err := duet.Gather[int](ctx, f, nil)
		if !errors.Is(err, duet.ErrNilAwaitable) || !strings.Contains(err.Error(), "argument 1") {
			t.Errorf("nil awaitable: %v", err)
		}
		_, err = duet.GatherAll[int](ctx, nilTask)
		if !errors.Is(err, duet.ErrNilAwaitable) {
			t.Errorf("nil task: %v", err)
		}
		if f.IsDone() {
			t.Error("bad input touched the other awaitables")
		}
		return nil
	})
}

// Many children, a duplicate, plain futures completed from goroutines, all
// gathered from a task.
func TestGatherMixedFromTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var aws []duet.Awaitable[int]
		var futs []*duet.Future[int]
		for i := range 20 {
			if i%2 == 0 {
				aws = append(aws, aio.Spawn(ctx, sleeper(time.Duration(20-i)*time.Millisecond, i)))
			} else {
				f := duet.NewFuture[int]()
				futs = append(futs, f)
				aws = append(aws, f)
			}
		}
		aws = append(aws, aws[3])
		for i, f := range futs {
			go f.SetResult(2*i + 1)
		}
		vs, err := duet.Gather(ctx, aws...)
		if err != nil {
			return err
		}
		for i := range 20 {
			if vs[i] != i {
				t.Fatalf("results %v", vs)
			}
		}
		if vs[20] != 3 {
			t.Fatalf("duplicate: %v", vs[20])
		}
		return nil
	})
}

// ---- goroutines ----

func TestGatherGoroutine(t *testing.T) {
	f1, f2 := duet.NewFuture[string](), duet.NewFuture[string]()
	go f2.SetResult("b")
	go f1.SetResult("a")
	vs, err := duet.Gather[string](context.Background(), f1, f2, f1)
	if err != nil || strings.Join(vs, "") != "aba" {
		t.Fatalf("got %v, %v", vs, err)
	}
	// Already done: no blocking.
	vs, err = duet.Gather[string](context.Background(), f2)
	if err != nil || vs[0] != "b" {
		t.Fatalf("done: %v, %v", vs, err)
	}
	// First error.
	f3, f4 := duet.NewFuture[string](), duet.NewFuture[string]()
	boom := errors.New("boom")
	go f4.SetError(boom)
	if _, err := duet.Gather[string](context.Background(), f3, f4); err != boom {
		t.Fatalf("got %v, want boom", err)
	}
	if f3.IsDone() {
		t.Fatal("a sibling was cancelled after a failure")
	}
	out, err := duet.GatherAll[string](context.Background(), f4, f2)
	if err != nil || out[0].Err != boom || out[1].Value != "b" {
		t.Fatalf("GatherAll: %+v, %v", out, err)
	}
}

func TestGatherGoroutineCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f1, f2 := duet.NewFuture[int](), duet.NewFuture[int]()
	f1.SetResult(1)
	go cancel()
	_, err := duet.Gather[int](ctx, f1, f2)
	if !isCancel(err) || !f2.Cancelled() {
		t.Fatalf("got %v (f2 cancelled %v)", err, f2.Cancelled())
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	f3 := duet.NewFuture[int]()
	_, err = duet.GatherAll[int](ctx2, f3)
	if !isTimeout(err) || !f3.Cancelled() {
		t.Fatalf("deadline: %v (f3 cancelled %v)", err, f3.Cancelled())
	}
}

// A goroutine gathers tasks of a running loop.
func TestGatherGoroutineOnTasks(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		t1 := aio.Spawn(ctx, sleeper(time.Second, 1))
		t2 := aio.Spawn(ctx, sleeper(2*time.Second, 2))
		res := duet.NewFuture[[]int]()
		go func() { res.Complete(duet.Gather[int](context.Background(), t1, t2)) }()
		vs, err := duet.Await(ctx, res)
		if err != nil || len(vs) != 2 || vs[0] != 1 || vs[1] != 2 {
			t.Errorf("got %v, %v", vs, err)
		}
		return nil
	})
}

func BenchmarkGatherTasks(b *testing.B) {
	aio.Run(context.Background(), func(ctx context.Context) error {
		aws := make([]duet.Awaitable[int], 100)
		for b.Loop() {
			for i := range aws {
				aws[i] = aio.Spawn(ctx, func(context.Context) (int, error) { return i, nil })
			}
			if _, err := duet.Gather(ctx, aws...); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}
