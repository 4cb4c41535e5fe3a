package thread_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/thread"
)

func newPool(t testing.TB, workers int, opts ...thread.PoolOption) *thread.Pool {
	t.Helper()
	p, err := thread.NewPool(workers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(true, true) })
	return p
}

// blocker is a task that holds its worker until released.
type blocker struct {
	started chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}), release: make(chan struct{})}
}

func (b *blocker) fn(ctx context.Context) (int, error) {
	close(b.started)
	<-b.release
	return 0, nil
}

func TestPoolSubmitResults(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 4)
	boom := errors.New("boom")
	var futs []*duet.Future[int]
	for i := range 100 {
		futs = append(futs, thread.Submit(ctx, p, func(ctx context.Context) (int, error) {
			if i%10 == 9 {
				return 0, boom
			}
			return i * i, nil
		}))
	}
	for i, f := range futs {
		v, err := duet.Await(ctx, f)
		if i%10 == 9 {
			if err != boom {
				t.Fatalf("task %d: %v", i, err)
			}
			continue
		}
		if v != i*i || err != nil {
			t.Fatalf("task %d = %v, %v", i, v, err)
		}
	}
	if s := p.Stats(); s.Live > 4 || s.Size != 4 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNewPoolBadInput(t *testing.T) {
	_, err := thread.NewPool(-1)
	if err == nil || !strings.Contains(err.Error(), "negative worker count") {
		t.Fatalf("NewPool(-1): %v", err)
	}
	p, err := thread.NewPool(0)
	if err != nil || p.Size() != runtime.GOMAXPROCS(0) {
		t.Fatalf("NewPool(0): size %d, %v", p.Size(), err)
	}
	p.Shutdown(true, false)
	for _, opt := range []thread.PoolOption{
		thread.WithQueueSize(0),
		thread.WithInitializer(nil),
		thread.WithNested(thread.NestedPolicy(7)),
		nil,
	} {
		if _, err := thread.NewPool(1, opt); err == nil {
			t.Errorf("a bad option was accepted")
		}
	}
}

func TestSubmitBadInput(t *testing.T) {
	ctx := guard(t)
	if _, err := duet.Await(ctx, thread.Submit(ctx, nil, func(context.Context) (int, error) { return 0, nil })); err == nil || !strings.Contains(err.Error(), "nil *Pool") {
		t.Errorf("nil pool: %v", err)
	}
	p := newPool(t, 1)
	if _, err := duet.Await(ctx, thread.Submit[int](ctx, p, nil)); err == nil || !strings.Contains(err.Error(), "nil function") {
		t.Errorf("nil fn: %v", err)
	}
	p.Shutdown(true, false)
	var ran atomic.Bool
	f := thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 0, nil })
	if _, err := duet.Await(ctx, f); !errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "shut down") {
		t.Errorf("Submit after Shutdown: %v", err)
	}
	if ran.Load() {
		t.Error("a task submitted after Shutdown ran")
	}
	// A nil ctx is refused (the one nil-ctx rule), and fn never runs.
	q := newPool(t, 1)
	ran.Store(false)
	if _, err := duet.Await(ctx, thread.Submit(nil, q, func(context.Context) (int, error) { ran.Store(true); return 3, nil })); !errors.Is(err, duet.ErrNilContext) || ran.Load() {
		t.Errorf("nil ctx: %v, ran %v", err, ran.Load())
	}
}

func TestPoolPanicKeepsWorker(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	_, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { panic("kaboom") }))
	var pe *duet.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "pool_test.go") {
		t.Fatalf("panic: %v", err)
	}
	if v, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil })); v != 1 || err != nil {
		t.Fatalf("after a panic: %v %v", v, err)
	}
	if s := p.Stats(); s.Live != 1 {
		t.Fatalf("a panic cost a worker: %+v", s)
	}
}

func TestPoolGoexitReplacesWorker(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	first := thread.Submit(ctx, p, func(ctx context.Context) (int, error) {
		<-b.release
		runtime.Goexit()
		return 0, nil
	})
	queued := thread.Submit(ctx, p, func(context.Context) (int, error) { return 2, nil })
	close(b.release)
	if _, err := duet.Await(ctx, first); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Goexit task: %v", err)
	}
	if v, err := duet.Await(ctx, queued); v != 2 || err != nil {
		t.Fatalf("the task queued behind a Goexit: %v %v", v, err)
	}
}

// Workers start lazily, and an idle worker is reused before a new one is
// started (Python: 3 sequential jobs -> 1 thread).
func TestPoolLazyWorkersReuseIdle(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 4, thread.WithNamePrefix("lazy"))
	if s := p.Stats(); s.Live != 0 {
		t.Fatalf("workers before any Submit: %+v", s)
	}
	names := map[string]bool{}
	for range 3 {
		name, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
			info, _ := thread.Current(ctx)
			return info.Name, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		names[name] = true
		eventually(t, "the worker to go idle", func() bool { return p.Stats().Idle == 1 })
	}
	if len(names) != 1 || !names["lazy_0"] {
		t.Fatalf("workers used: %v", names)
	}
	if s := p.Stats(); s.Live != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPoolWorkersInEnumerate(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 2, thread.WithNamePrefix("enum-pool"))
	duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil }))
	count := func() (n int) {
		for _, i := range thread.Enumerate() {
			if strings.HasPrefix(i.Name, "enum-pool_") {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("%d workers listed", n)
	}
	p.Shutdown(true, false)
	if n := count(); n != 0 {
		t.Fatalf("%d workers listed after Shutdown", n)
	}
}

func TestPoolCancelBeforeStart(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	running := thread.Submit(ctx, p, b.fn)
	<-b.started
	var ran atomic.Bool
	queued := thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 1, nil })
	if !running.Running() || running.Cancel("no") {
		t.Fatal("a running task's future could be cancelled")
	}
	if !queued.Cancel("changed my mind") {
		t.Fatal("Cancel of a queued task failed")
	}
	close(b.release)
	if _, err := duet.Await(ctx, running); err != nil {
		t.Fatal(err)
	}
	_, err := duet.Await(ctx, queued)
	var ce *duet.CancelledError
	if !errors.As(err, &ce) || ce.Msg != "changed my mind" {
		t.Fatalf("cancelled task: %v", err)
	}
	p.Shutdown(true, false)
	if ran.Load() {
		t.Fatal("a task cancelled before it started ran")
	}
}

func TestPoolContextDoneBeforeStart(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	thread.Submit(ctx, p, b.fn)
	<-b.started
	cctx, cancel := context.WithCancel(ctx)
	tctx, cancel2 := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel2()
	var ran atomic.Int32
	f1 := thread.Submit(cctx, p, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
	f2 := thread.Submit(tctx, p, func(context.Context) (int, error) { ran.Add(1); return 0, nil })
	cancel()
	<-tctx.Done()
	close(b.release)
	if _, err := duet.Await(ctx, f1); !errors.Is(err, duet.ErrCancelled) || !f1.Cancelled() {
		t.Errorf("cancelled ctx: %v", err)
	}
	if _, err := duet.Await(ctx, f2); !errors.Is(err, duet.ErrTimeout) {
		t.Errorf("expired ctx: %v", err)
	}
	p.Shutdown(true, false)
	if ran.Load() != 0 {
		t.Fatal("a task whose context ended before it started ran")
	}
}

// The task's context carries the Submit context's values and cancellation,
// the worker's identity, and hides the loop task.
func TestPoolTaskContext(t *testing.T) {
	type key struct{}
	p := newPool(t, 1, thread.WithNamePrefix("ctx"))
	err := aio.Run(context.WithValue(guard(t), key{}, "v"), func(ctx context.Context) error {
		f := thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
			if park.Current(ctx) != nil || park.LoopOf(ctx) != nil {
				return "", errors.New("a pool task sees the loop task")
			}
			if err := duet.Sleep(ctx, time.Microsecond); err != nil { // blocks the worker, not a task
				return "", err
			}
			info, _ := thread.Current(ctx)
			return fmt.Sprint(ctx.Value(key{}), " ", info.Name), nil
		})
		v, err := duet.Await(ctx, f)
		if err != nil || v != "v ctx_0" {
			return fmt.Errorf("task saw %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPoolInitializerFailureBreaksPool(t *testing.T) {
	ctx := guard(t)
	initErr := errors.New("no database")
	var calls atomic.Int32
	p := newPool(t, 2, thread.WithInitializer(func(context.Context) error {
		calls.Add(1)
		return initErr
	}))
	var ran atomic.Bool
	f := thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 0, nil })
	_, err := duet.Await(ctx, f)
	if !errors.Is(err, thread.ErrBrokenPool) || !errors.Is(err, initErr) {
		t.Fatalf("first task: %v", err)
	}
	later := thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 0, nil })
	if _, err := duet.Await(ctx, later); !errors.Is(err, thread.ErrBrokenPool) {
		t.Fatalf("later Submit: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Fatal("a task ran on a broken pool")
	}
	if !p.Stats().Closed {
		t.Fatal("a broken pool is not closed")
	}
}

type initError struct{ db string }

func (e *initError) Error() string { return "no database " + e.db }

// A broken pool's error is one error: it matches ErrBrokenPool, errors.Is
// and errors.As reach the initializer's error through it, and it does not
// unwrap to several errors as a group of failures (errors.Join) does.
func TestPoolBrokenErrorIsOneError(t *testing.T) {
	ctx := guard(t)
	cause := &initError{"orders"}
	p := newPool(t, 1, thread.WithInitializer(func(context.Context) error { return cause }))
	_, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil }))
	var ie *initError
	if !errors.Is(err, thread.ErrBrokenPool) || !errors.Is(err, cause) || !errors.As(err, &ie) || ie != cause {
		t.Fatalf("broken pool's error %v: want it to match ErrBrokenPool and reach the cause", err)
	}
	if _, multi := err.(interface{ Unwrap() []error }); multi {
		t.Fatalf("broken pool's error %q unwraps to several errors, as a group would", err)
	}
	if want := thread.ErrBrokenPool.Error() + ": " + cause.Error(); err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if errors.Unwrap(err) != error(cause) {
		t.Fatalf("errors.Unwrap = %v, want the initializer's error", errors.Unwrap(err))
	}
}

func TestPoolInitializerPanicBreaksQueuedTasks(t *testing.T) {
	ctx := guard(t)
	gate := make(chan struct{})
	var calls atomic.Int32
	p := newPool(t, 2, thread.WithInitializer(func(context.Context) error {
		if calls.Add(1) == 2 {
			<-gate
			panic("init panic")
		}
		return nil
	}), thread.WithQueueSize(8))
	b := newBlocker()
	thread.Submit(ctx, p, b.fn) // worker 0: initializes fine, then blocks
	<-b.started
	second := thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil }) // worker 1: init blocks
	eventually(t, "second initializer", func() bool { return calls.Load() == 2 })
	var queued []*duet.Future[int]
	for range 3 {
		queued = append(queued, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil }))
	}
	close(gate)
	var pe *duet.PanicError
	for _, f := range append(queued, second) {
		if _, err := duet.Await(ctx, f); !errors.Is(err, thread.ErrBrokenPool) || !errors.As(err, &pe) {
			t.Fatalf("task after an initializer panic: %v", err)
		}
	}
	close(b.release) // the task already running finishes normally
	p.Shutdown(true, false)
}

func TestPoolBackPressure(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1, thread.WithQueueSize(2))
	b := newBlocker()
	thread.Submit(ctx, p, b.fn)
	<-b.started
	var order []int
	var mu sync.Mutex
	task := func(i int) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return i, nil
		}
	}
	f1 := thread.Submit(ctx, p, task(1))
	f2 := thread.Submit(ctx, p, task(2))
	if s := p.Stats(); s.Queued != 2 {
		t.Fatalf("stats %+v", s)
	}
	got := make(chan *duet.Future[int])
	go func() { got <- thread.Submit(ctx, p, task(3)) }() // waits for room
	eventually(t, "the third Submit to wait", func() bool { return p.Stats().Waiting == 1 })
	// A Submit waiting for room gives up when its ctx ends.
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan *duet.Future[int])
	go func() { gaveUp <- thread.Submit(cctx, p, task(99)) }()
	eventually(t, "the fourth Submit to wait", func() bool { return p.Stats().Waiting == 2 })
	cancel()
	f99 := recv(t, gaveUp)
	if _, err := duet.Await(ctx, f99); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("Submit cancelled while waiting for room: %v", err)
	}
	close(b.release)
	f3 := recv(t, got)
	for i, f := range []*duet.Future[int]{f1, f2, f3} {
		if v, err := duet.Await(ctx, f); v != i+1 || err != nil {
			t.Fatalf("task %d: %v %v", i+1, v, err)
		}
	}
	if fmt.Sprint(order) != "[1 2 3]" {
		t.Fatalf("order %v", order)
	}
}

func TestPoolRejectWhenFull(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1, thread.WithQueueSize(1), thread.WithRejectWhenFull())
	b := newBlocker()
	thread.Submit(ctx, p, b.fn)
	<-b.started
	ok := thread.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil })
	full := thread.Submit(ctx, p, func(context.Context) (int, error) { return 2, nil })
	if _, err := duet.Await(ctx, full); !errors.Is(err, thread.ErrPoolFull) {
		t.Fatalf("full queue: %v", err)
	}
	close(b.release)
	if v, err := duet.Await(ctx, ok); v != 1 || err != nil {
		t.Fatalf("queued task: %v %v", v, err)
	}
}

// A loop task's Submit to a full pool suspends the task, not the loop: the
// task that frees the pool still runs.
func TestPoolBackPressureOnLoopTask(t *testing.T) {
	p := newPool(t, 1, thread.WithQueueSize(1))
	err := aio.Run(guard(t), func(ctx context.Context) error {
		b := newBlocker()
		thread.Submit(ctx, p, b.fn)
		<-b.started
		thread.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil }) // fills the queue
		submitter := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 7, nil }))
		})
		releaser := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			for p.Stats().Waiting == 0 {
				if err := duet.Sleep(ctx, 0); err != nil {
					return 0, err
				}
			}
			close(b.release)
			return 0, nil
		})
		v, err := duet.Await(ctx, submitter)
		if v != 7 || err != nil {
			return fmt.Errorf("submitter: %v %v", v, err)
		}
		_, err = duet.Await(ctx, releaser)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPoolIdleTimeout(t *testing.T) {
	ctx := guard(t)
	var inits atomic.Int32
	p := newPool(t, 2, thread.WithIdleTimeout(time.Millisecond), thread.WithInitializer(func(context.Context) error {
		inits.Add(1)
		return nil
	}))
	if _, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the idle worker to expire", func() bool { return p.Stats().Live == 0 })
	if v, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 5, nil })); v != 5 || err != nil {
		t.Fatalf("after expiry: %v %v", v, err)
	}
	if n := inits.Load(); n != 2 {
		t.Fatalf("initializer ran %d times, want 2 (once per worker)", n)
	}
}

// Many tasks racing with idle expiry: none is stranded.
func TestPoolIdleTimeoutRace(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 4, thread.WithIdleTimeout(time.Microsecond))
	for round := range 200 {
		var futs []*duet.Future[int]
		for i := range 8 {
			futs = append(futs, thread.Submit(ctx, p, func(context.Context) (int, error) { return i, nil }))
		}
		for i, f := range futs {
			if v, err := duet.Await(ctx, f); v != i || err != nil {
				t.Fatalf("round %d task %d: %v %v", round, i, v, err)
			}
		}
		if round%3 == 0 {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// A task that submits a child to its own saturated pool and waits for it
// does not deadlock: with CallerRuns the child runs inline on the same
// worker.
func TestPoolNestedCallerRuns(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("nest"))
	v, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
		parent, _ := thread.Current(ctx)
		child, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
			info, _ := thread.Current(ctx)
			return info.Name, nil
		}))
		return parent.Name + "/" + child, err
	}))
	if err != nil || v != "nest_0/nest_0" {
		t.Fatalf("nested: %q %v", v, err)
	}
}

func TestPoolNestedGrow(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("grow"), thread.WithNested(thread.Grow))
	v, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
		parent, _ := thread.Current(ctx)
		child, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (string, error) {
			info, _ := thread.Current(ctx)
			return info.Name, nil
		}))
		return parent.Name + "/" + child, err
	}))
	if err != nil || v != "grow_0/grow_1" {
		t.Fatalf("nested: %q %v", v, err)
	}
	eventually(t, "the extra worker to leave", func() bool { return p.Stats().Live == 1 })
}

// Recursive fan-out through a small pool completes under both policies.
func TestPoolNestedRecursion(t *testing.T) {
	var fib func(ctx context.Context, p *thread.Pool, n int) (int, error)
	fib = func(ctx context.Context, p *thread.Pool, n int) (int, error) {
		if n < 2 {
			return n, nil
		}
		a := thread.Submit(ctx, p, func(ctx context.Context) (int, error) { return fib(ctx, p, n-1) })
		b := thread.Submit(ctx, p, func(ctx context.Context) (int, error) { return fib(ctx, p, n-2) })
		va, err := duet.Await(ctx, a)
		if err != nil {
			return 0, err
		}
		vb, err := duet.Await(ctx, b)
		return va + vb, err
	}
	for _, policy := range []thread.NestedPolicy{thread.CallerRuns, thread.Grow} {
		t.Run(policy.String(), func(t *testing.T) {
			ctx := guard(t)
			p := newPool(t, 2, thread.WithNested(policy), thread.WithQueueSize(4))
			v, err := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (int, error) { return fib(ctx, p, 12) }))
			if err != nil || v != 144 {
				t.Fatalf("fib(12) = %v, %v", v, err)
			}
		})
	}
}

func TestPoolShutdownWaitRunsQueued(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 2)
	var ran atomic.Int32
	var futs []*duet.Future[int]
	for range 50 {
		futs = append(futs, thread.Submit(ctx, p, func(context.Context) (int, error) {
			ran.Add(1)
			return 1, nil
		}))
	}
	p.Shutdown(true, false)
	if ran.Load() != 50 {
		t.Fatalf("%d of 50 queued tasks ran", ran.Load())
	}
	for _, f := range futs {
		if !f.IsDone() || f.Err() != nil {
			t.Fatal("a future is not complete after Shutdown(wait)")
		}
	}
	if s := p.Stats(); s.Live != 0 || !s.Closed {
		t.Fatalf("stats after Shutdown: %+v", s)
	}
	p.Shutdown(true, true) // again: no effect, no hang
}

func TestPoolShutdownCancelFutures(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	running := thread.Submit(ctx, p, b.fn)
	<-b.started
	var ran atomic.Int32
	var queued []*duet.Future[int]
	for range 4 {
		queued = append(queued, thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Add(1); return 0, nil }))
	}
	p.Shutdown(false, true)
	for _, f := range queued {
		if !f.Cancelled() {
			t.Fatal("a queued future was not cancelled")
		}
	}
	if running.IsDone() {
		t.Fatal("the running task was interrupted")
	}
	close(b.release)
	p.Shutdown(true, false)
	if _, err := running.Result(); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 0 {
		t.Fatal("a cancelled task ran")
	}
}

// Shutdown while goroutines submit: every future completes with a value,
// ErrClosed or a cancellation; each task ran at most once and every task
// whose future holds a value ran.
func TestPoolShutdownUnderLoad(t *testing.T) {
	for _, cancelFutures := range []bool{false, true} {
		t.Run(fmt.Sprint("cancelFutures=", cancelFutures), func(t *testing.T) {
			ctx := guard(t)
			p := newPool(t, 4, thread.WithQueueSize(16))
			const submitters, each = 8, 500
			var ran atomic.Int64
			futs := make([][]*duet.Future[int], submitters)
			var wg sync.WaitGroup
			for s := range submitters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						futs[s] = append(futs[s], thread.Submit(ctx, p, func(context.Context) (int, error) {
							ran.Add(1)
							return i, nil
						}))
					}
				}()
			}
			eventually(t, "some tasks to run", func() bool { return ran.Load() > 100 })
			p.Shutdown(true, cancelFutures)
			wg.Wait()
			var values, closed, cancelled int64
			for s := range submitters {
				for i, f := range futs[s] {
					if !f.IsDone() {
						t.Fatal("a future was left pending")
					}
					v, err := f.Result()
					switch {
					case err == nil:
						if v != i {
							t.Fatalf("wrong value %d for task %d", v, i)
						}
						values++
					case errors.Is(err, duet.ErrClosed):
						closed++
					case f.Cancelled():
						cancelled++
					default:
						t.Fatalf("unexpected outcome %v", err)
					}
				}
			}
			if values+closed+cancelled != submitters*each {
				t.Fatal("futures lost")
			}
			if values != ran.Load() {
				t.Fatalf("%d values but %d runs", values, ran.Load())
			}
			if !cancelFutures && cancelled != 0 {
				t.Fatalf("%d cancelled without cancelFutures", cancelled)
			}
			if s := p.Stats(); s.Live != 0 {
				t.Fatalf("workers left: %+v", s)
			}
		})
	}
}

func TestPoolCloseDeadline(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	running := thread.Submit(ctx, p, b.fn)
	<-b.started
	var ran atomic.Bool
	queued := thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 0, nil })
	dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	err := p.Close(dctx)
	if !errors.Is(err, duet.ErrTimeout) || !strings.Contains(err.Error(), "1 workers still running") {
		t.Fatalf("Close past its deadline: %v", err)
	}
	if !queued.Cancelled() {
		t.Fatal("Close that gave up left a queued task")
	}
	close(b.release)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal("second Close:", err)
	}
	if running.Err() != nil || ran.Load() {
		t.Fatal("running task failed or cancelled task ran")
	}
	if _, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}
}

func TestPoolCloseFromOwnTask(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	err, _ := duet.Await(ctx, thread.Submit(ctx, p, func(ctx context.Context) (error, error) {
		return p.Close(ctx), nil
	}))
	if !errors.Is(err, duet.ErrInvalidState) {
		t.Fatalf("Close from the pool's own task: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPoolCloseOnLoopTask(t *testing.T) {
	p := newPool(t, 1)
	err := aio.Run(guard(t), func(ctx context.Context) error {
		b := newBlocker()
		thread.Submit(ctx, p, b.fn)
		<-b.started
		closer := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, p.Close(ctx) })
		other := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(b.release) // runs while closer waits
			return 0, nil
		})
		_, err := duet.Gather(ctx, closer, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Live != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestThousandPools(t *testing.T) {
	ctx := guard(t)
	for i := range 1000 {
		p, err := thread.NewPool(1 + i%4)
		if err != nil {
			t.Fatal(err)
		}
		f := thread.Submit(ctx, p, func(context.Context) (int, error) { return i, nil })
		g := thread.Submit(ctx, p, func(context.Context) (int, error) { return -i, nil })
		if i%2 == 0 {
			p.Shutdown(true, false)
		} else if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := f.Result(); v != i || err != nil {
			t.Fatalf("pool %d: %v %v", i, v, err)
		}
		if v, err := g.Result(); v != -i || err != nil {
			t.Fatalf("pool %d: %v %v", i, v, err)
		}
	}
}

// concurrent.futures.wait and as_completed are duet.Wait and
// duet.AsCompleted on pool futures.
func TestPoolWaitAndAsCompleted(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 3)
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	boom := errors.New("boom")
	var futs []duet.Awaitable[int]
	for i := range 3 {
		futs = append(futs, thread.Submit(ctx, p, func(context.Context) (int, error) {
			<-gates[i]
			if i == 0 {
				return 0, boom
			}
			return i, nil
		}))
	}
	// FIRST_COMPLETED: release task 2 only.
	close(gates[2])
	done, pending, err := duet.Wait(ctx, futs, duet.FirstCompleted, duet.NoTimeout)
	if err != nil || len(done) != 1 || done[0] != futs[2] || len(pending) != 2 {
		t.Fatalf("FirstCompleted: done %v pending %v err %v", done, pending, err)
	}
	// A timeout returns what is done, without error or cancellation.
	done, pending, err = duet.Wait(ctx, futs, duet.AllCompleted, time.Millisecond)
	if err != nil || len(done) != 1 || len(pending) != 2 {
		t.Fatalf("AllCompleted with timeout: %d done %d pending %v", len(done), len(pending), err)
	}
	// FIRST_EXCEPTION: task 0 fails.
	close(gates[0])
	done, _, err = duet.Wait(ctx, futs, duet.FirstException, duet.NoTimeout)
	if err != nil || len(done) != 2 {
		t.Fatalf("FirstException: %d done, %v", len(done), err)
	}
	close(gates[1])
	// as_completed: done ones first, in argument order.
	var got []int
	for a, err := range duet.AsCompleted(ctx, futs...) {
		if err != nil {
			t.Fatal(err)
		}
		v, err := a.Future().Result()
		if err != nil {
			v = -1
		}
		got = append(got, v)
	}
	if len(got) != 3 || got[0] != -1 || got[1] != 1 && got[2] != 1 {
		t.Fatalf("AsCompleted order %v", got)
	}
}

func TestPoolAsCompletedOrder(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 3)
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var futs []duet.Awaitable[int]
	for i := range 3 {
		futs = append(futs, thread.Submit(ctx, p, func(context.Context) (int, error) {
			<-gates[i]
			return i, nil
		}))
	}
	var got []int
	close(gates[1])
	for a, err := range duet.AsCompleted(ctx, futs...) {
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.Future().Result()
		got = append(got, v)
		switch len(got) {
		case 1:
			close(gates[2])
		case 2:
			close(gates[0])
		}
	}
	if fmt.Sprint(got) != "[1 2 0]" {
		t.Fatalf("completion order %v", got)
	}
}

// Done callbacks of pool futures run in the completing worker (goroutine
// context); a panicking one does not kill the worker.
func TestPoolDoneCallbackPanic(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	b := newBlocker()
	f := thread.Submit(ctx, p, b.fn)
	logged := captureLog(t)
	f.AddDoneCallback(context.Background(), func(*duet.Future[int]) { panic("callback") })
	close(b.release)
	<-f.Done()
	eventually(t, "the panic to be logged", func() bool { return strings.Contains(logged(), "panic=callback") })
	if v, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 4, nil })); v != 4 || err != nil {
		t.Fatalf("after a panicking callback: %v %v", v, err)
	}
}

// A Submit waiting for room when the pool shuts down fails with ErrClosed;
// its function never runs.
func TestPoolShutdownWakesWaitingSubmit(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1, thread.WithQueueSize(1))
	b := newBlocker()
	thread.Submit(ctx, p, b.fn)
	<-b.started
	queued := thread.Submit(ctx, p, func(context.Context) (int, error) { return 1, nil })
	var ran atomic.Bool
	got := make(chan *duet.Future[int])
	go func() {
		got <- thread.Submit(ctx, p, func(context.Context) (int, error) { ran.Store(true); return 2, nil })
	}()
	eventually(t, "the Submit to wait for room", func() bool { return p.Stats().Waiting == 1 })
	p.Shutdown(false, false)
	f := recv(t, got)
	if _, err := duet.Await(ctx, f); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("waiting Submit at Shutdown: %v", err)
	}
	close(b.release)
	p.Shutdown(true, false)
	if v, err := queued.Result(); v != 1 || err != nil {
		t.Fatalf("queued task: %v %v", v, err)
	}
	if ran.Load() {
		t.Fatal("the refused task ran")
	}
}
