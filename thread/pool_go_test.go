package thread_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/thread"
)

// hookReports sends the except hook's reports about the workers named
// prefix_k to a list for the rest of the test (others, such as threads of
// earlier tests being garbage collected, are passed to the previous hook),
// and returns a function reading the list.
func hookReports(t *testing.T, prefix string) func() []thread.ExceptHookArgs {
	var mu sync.Mutex
	var got []thread.ExceptHookArgs
	var prev func(thread.ExceptHookArgs)
	mu.Lock() // a report may come before SetExceptHook returns prev
	prev = thread.SetExceptHook(func(a thread.ExceptHookArgs) {
		mu.Lock()
		defer mu.Unlock()
		if !strings.HasPrefix(a.Thread.Name, prefix+"_") {
			prev(a)
			return
		}
		got = append(got, a)
	})
	mu.Unlock()
	t.Cleanup(func() { thread.SetExceptHook(prev) })
	return func() []thread.ExceptHookArgs {
		mu.Lock()
		defer mu.Unlock()
		return append([]thread.ExceptHookArgs(nil), got...)
	}
}

// goBarrier gives p a task and waits until it has run: on a pool of one
// worker, every task given before it has then run and been reported.
func goBarrier(t *testing.T, p *thread.Pool) {
	t.Helper()
	done := make(chan struct{})
	if err := p.Go(guard(t), func(context.Context) error { close(done); return nil }); err != nil {
		t.Fatal(err)
	}
	recv(t, done)
}

// goBlocker gives p a task that holds its worker until the returned
// function is called; Go returns once the task is running.
func goBlocker(t *testing.T, p *thread.Pool) (release func()) {
	t.Helper()
	b := newBlocker()
	if err := p.Go(guard(t), func(ctx context.Context) error { _, err := b.fn(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	recv(t, b.started)
	var once sync.Once
	release = func() { once.Do(func() { close(b.release) }) }
	t.Cleanup(release)
	return release
}

// Every task given to Go runs exactly once, from several submitters at once.
func TestPoolGoRunsEveryTask(t *testing.T) {
	const submitters, each = 4, 2500
	ctx := guard(t)
	p := newPool(t, 4)
	var ran atomic.Int64
	var wg sync.WaitGroup
	wg.Add(submitters * each)
	errs := make(chan error, submitters)
	var subs sync.WaitGroup
	for range submitters {
		subs.Go(func() {
			for range each {
				if err := p.Go(ctx, func(context.Context) error {
					ran.Add(1)
					wg.Done()
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	subs.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Go: %v", err)
	}
	wg.Wait()
	if got := ran.Load(); got != submitters*each {
		t.Fatalf("%d tasks ran, want %d", got, submitters*each)
	}
	if s := p.Stats(); s.Live > 4 {
		t.Fatalf("stats %+v", s)
	}
}

// Go's tasks and Submit's share one queue: on one worker they start in the
// order given, mixed.
func TestPoolGoFIFOWithSubmit(t *testing.T) {
	const n = 200
	p := newPool(t, 1)
	warm(t, p) // the first task goes to an idle worker, the next ones queue
	ctx := guard(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var started, want []int
	start := func(i int) {
		mu.Lock()
		started = append(started, i)
		mu.Unlock()
		wg.Done()
	}
	wg.Add(n)
	for i := range n {
		want = append(want, i)
		if i%3 == 0 {
			thread.Submit(ctx, p, func(context.Context) (int, error) { start(i); return i, nil })
		} else if err := p.Go(ctx, func(context.Context) error { start(i); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if !slices.Equal(started, want) {
		t.Fatalf("start order %v", started)
	}
}

// A task's error, panic or Goexit reaches the except hook at once, with the
// name of the worker that ran it; a cancellation does not. Neither a panic
// nor an error costs the worker.
func TestPoolGoFailuresReachExceptHook(t *testing.T) {
	reports := hookReports(t, "gohook")
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("gohook"))
	boom := errors.New("boom")
	var workers []string
	var mu sync.Mutex
	tasks := []func(ctx context.Context) error{
		func(context.Context) error { return boom },
		func(context.Context) error { panic("kaboom") },
		func(context.Context) error { return &duet.CancelledError{Msg: "stopped"} },
		func(ctx context.Context) error { return fmt.Errorf("wrapped: %w", duet.ErrCancelled) },
		func(context.Context) error { return nil },
	}
	for _, task := range tasks {
		if err := p.Go(ctx, func(ctx context.Context) error {
			info, _ := thread.Current(ctx)
			mu.Lock()
			workers = append(workers, info.Name)
			mu.Unlock()
			return task(ctx)
		}); err != nil {
			t.Fatal(err)
		}
	}
	goBarrier(t, p)
	got := reports()
	if len(got) != 2 {
		t.Fatalf("reports %v, want the error and the panic only", got)
	}
	if got[0].Err != boom || got[0].Thread.Name != "gohook_0" || got[0].Thread.ID == 0 {
		t.Errorf("error report: %+v", got[0])
	}
	var pe *duet.PanicError
	if !errors.As(got[1].Err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "pool_go_test.go") || got[1].Thread.Name != "gohook_0" {
		t.Errorf("panic report: %+v", got[1])
	}
	if fmt.Sprint(workers) != "[gohook_0 gohook_0 gohook_0 gohook_0 gohook_0]" || p.Stats().Live != 1 {
		t.Errorf("tasks ran on %v, stats %+v: a failure cost the worker", workers, p.Stats())
	}

	// runtime.Goexit ends the worker's goroutine; it is reported, and the
	// task queued behind it still runs.
	release := goBlocker(t, p)
	if err := p.Go(ctx, func(context.Context) error { runtime.Goexit(); return nil }); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	if err := p.Go(ctx, func(context.Context) error { close(ran); return nil }); err != nil {
		t.Fatal(err)
	}
	release()
	recv(t, ran)
	got = reports()
	if len(got) != 3 || !strings.Contains(fmt.Sprint(got[2].Err), "Goexit") || got[2].Thread.Name != "gohook_0" {
		t.Fatalf("reports after Goexit: %v", got)
	}
}

// Each way Go refuses a task returns an error at once, and the function
// never runs.
func TestPoolGoSyncErrors(t *testing.T) {
	ctx := guard(t)
	var ran atomic.Int32
	fn := func(context.Context) error { ran.Add(1); return nil }

	var nilPool *thread.Pool
	if err := nilPool.Go(ctx, fn); err == nil || !strings.Contains(err.Error(), "nil *Pool") {
		t.Errorf("nil pool: %v", err)
	}
	p := newPool(t, 1, thread.WithQueueSize(1), thread.WithRejectWhenFull())
	if err := p.Go(ctx, nil); err == nil || !strings.Contains(err.Error(), "nil function") {
		t.Errorf("nil fn: %v", err)
	}

	release := goBlocker(t, p)
	if err := p.Go(ctx, fn); err != nil { // the queue's one slot
		t.Fatal(err)
	}
	if err := p.Go(ctx, fn); !errors.Is(err, thread.ErrPoolFull) {
		t.Errorf("full queue, WithRejectWhenFull: %v", err)
	}
	release()
	p.Shutdown(true, false)
	if ran.Load() != 1 {
		t.Fatalf("%d tasks ran, want the queued one only", ran.Load())
	}
	if err := p.Go(ctx, fn); !errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "shut down") {
		t.Errorf("Go after Shutdown: %v", err)
	}
	if sub := thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil }).Err(); sub.Error() != p.Go(ctx, fn).Error() {
		t.Errorf("Go and Submit after Shutdown disagree: %v", sub)
	}

	// Without WithRejectWhenFull, Go waits for room; it gives up when its
	// ctx ends, and gives up at once if ctx has ended already.
	q := newPool(t, 1, thread.WithQueueSize(1))
	release = goBlocker(t, q)
	if err := q.Go(ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error)
	go func() { gaveUp <- q.Go(cctx, fn) }()
	eventually(t, "Go to wait for room", func() bool { return q.Stats().Waiting == 1 })
	cancel()
	if err := recv(t, gaveUp); !errors.Is(err, duet.ErrCancelled) {
		t.Errorf("Go cancelled while waiting for room: %v", err)
	}
	if err := q.Go(cctx, fn); !errors.Is(err, duet.ErrCancelled) {
		t.Errorf("Go with a done ctx onto a full queue: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, time.Nanosecond)
	defer cancelT()
	<-tctx.Done()
	if err := q.Go(tctx, fn); !errors.Is(err, duet.ErrTimeout) {
		t.Errorf("Go with an expired ctx onto a full queue: %v", err)
	}
	release()
	q.Shutdown(true, false)

	// A broken pool: the task a worker was started for is dropped, later
	// Go calls fail.
	initErr := errors.New("no database")
	b := newPool(t, 1, thread.WithInitializer(func(context.Context) error { return initErr }))
	if err := b.Go(ctx, fn); err != nil {
		t.Fatalf("Go onto a pool whose initializer has not run yet: %v", err)
	}
	eventually(t, "the pool to break", func() bool { return b.Stats().Closed })
	if err := b.Go(ctx, fn); !errors.Is(err, thread.ErrBrokenPool) || !errors.Is(err, initErr) {
		t.Errorf("Go onto a broken pool: %v", err)
	}
	b.Shutdown(true, false)
	if ran.Load() != 1 {
		t.Fatalf("%d tasks ran: a refused or dropped task ran", ran.Load())
	}
}

// Shutdown(cancelFutures) drops the queued tasks: they never run, nothing
// is reported, and no goroutine is left once Shutdown(wait) returns.
func TestPoolGoShutdownDropsQueued(t *testing.T) {
	reports := hookReports(t, "godrop")
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("godrop"))
	release := goBlocker(t, p)
	var ran atomic.Int32
	for range 10 {
		if err := p.Go(ctx, func(context.Context) error { ran.Add(1); return errors.New("ran") }); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Queued != 10 {
		t.Fatalf("stats %+v, want 10 queued", s)
	}
	p.Shutdown(false, true)
	if s := p.Stats(); s.Queued != 0 || s.Live != 1 {
		t.Fatalf("after Shutdown(false, true): %+v", s)
	}
	release()
	p.Shutdown(true, true)
	if ran.Load() != 0 {
		t.Fatalf("%d dropped tasks ran", ran.Load())
	}
	if got := reports(); len(got) != 0 {
		t.Fatalf("dropped tasks were reported: %v", got)
	}
	for _, info := range thread.Enumerate() {
		if strings.HasPrefix(info.Name, "godrop_") {
			t.Fatalf("worker %v is still listed", info)
		}
	}
	goleak.VerifyNone(t)
}

// A task whose ctx is done before a worker picks it up never runs and is
// not reported.
func TestPoolGoContextDoneBeforeStart(t *testing.T) {
	reports := hookReports(t, "godone")
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("godone"))
	release := goBlocker(t, p)
	cctx, cancel := context.WithCancel(ctx)
	tctx, cancelT := context.WithTimeout(ctx, time.Nanosecond)
	defer cancelT()
	var ran atomic.Int32
	fn := func(context.Context) error { ran.Add(1); return errors.New("ran") }
	for _, c := range []context.Context{cctx, tctx} {
		if err := p.Go(c, fn); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	<-tctx.Done()
	release()
	goBarrier(t, p)
	if ran.Load() != 0 {
		t.Fatalf("%d tasks whose ctx ended before they started ran", ran.Load())
	}
	if got := reports(); len(got) != 0 {
		t.Fatalf("tasks that never ran were reported: %v", got)
	}
}

// A task that gives tasks to its own pool and waits for them cannot
// deadlock it, however deep the nesting, under either policy.
func TestPoolGoNestedSaturated(t *testing.T) {
	const depth = 6 // 2^7-1 tasks, each waiting for its two children
	for _, policy := range []thread.NestedPolicy{thread.CallerRuns, thread.Grow} {
		t.Run(policy.String(), func(t *testing.T) {
			ctx := guard(t)
			p := newPool(t, 2, thread.WithNested(policy), thread.WithQueueSize(1))
			var count atomic.Int32
			var failed atomic.Value
			var tree func(ctx context.Context, d int) error
			tree = func(ctx context.Context, d int) error {
				count.Add(1)
				if d == 0 {
					return nil
				}
				var wg sync.WaitGroup
				wg.Add(2)
				for range 2 {
					if err := p.Go(ctx, func(ctx context.Context) error {
						defer wg.Done()
						return tree(ctx, d-1)
					}); err != nil {
						failed.Store(err)
						wg.Done()
					}
				}
				wg.Wait() // blocks the worker, as a task waiting for children does
				return nil
			}
			done := make(chan struct{})
			if err := p.Go(ctx, func(ctx context.Context) error {
				defer close(done)
				return tree(ctx, depth)
			}); err != nil {
				t.Fatal(err)
			}
			recv(t, done)
			if err := failed.Load(); err != nil {
				t.Fatalf("a nested Go failed: %v", err)
			}
			if got, want := count.Load(), int32(1<<(depth+1)-1); got != want {
				t.Fatalf("%d tasks ran, want %d", got, want)
			}
		})
	}
}

// From a loop task, Go's function gets the ctx's values and the worker's
// identity, and does not see the loop task.
func TestPoolGoTaskContext(t *testing.T) {
	type key struct{}
	p := newPool(t, 1, thread.WithNamePrefix("goctx"))
	var got string
	err := aio.Run(context.WithValue(guard(t), key{}, "v"), func(ctx context.Context) error {
		saw := duet.NewFuture[string]()
		if err := p.Go(ctx, func(ctx context.Context) error {
			info, _ := thread.Current(ctx)
			saw.SetResult(fmt.Sprint(ctx.Value(key{}), " ", info.Name, " task=", park.Current(ctx) != nil, " loop=", park.LoopOf(ctx) != nil))
			return nil
		}); err != nil {
			return err
		}
		var err error
		got, err = duet.Await(ctx, saw)
		return err
	})
	if want := "v goctx_0 task=false loop=false"; err != nil || got != want {
		t.Fatalf("the task saw %q, %v; want %q", got, err, want)
	}
}

// Go costs one small allocation per task (its function and context), not
// a future.
func TestPoolGoAllocs(t *testing.T) {
	const runs = 500
	p := newPool(t, 1, thread.WithQueueSize(2*runs+2))
	goBlocker(t, p)
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	give := func() {
		if err := p.Go(ctx, fn); err != nil {
			panic(err)
		}
	}
	if a := testing.AllocsPerRun(runs, give); a != 1 {
		t.Errorf("%v allocations per Go, want 1", a)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		give()
	}
	runtime.ReadMemStats(&after)
	if per := float64(after.TotalAlloc-before.TotalAlloc) / runs; per > 48 {
		t.Errorf("%v bytes allocated per Go, want <= 48", per)
	}
}

// A task that hands back ctx.Err() once its context was cancelled stopped
// because it was asked to: not reported. context.Canceled from a task whose
// own context is live (some inner operation was cancelled) and a deadline
// that passed are failures: reported.
func TestPoolGoStopVersusFailure(t *testing.T) {
	reports := hookReports(t, "gostop")
	ctx := guard(t)
	p := newPool(t, 1, thread.WithNamePrefix("gostop"))
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := p.Go(cctx, func(ctx context.Context) error { stop(); return ctx.Err() }); err != nil {
		t.Fatal(err)
	}
	if err := p.Go(ctx, func(context.Context) error { return context.Canceled }); err != nil {
		t.Fatal(err)
	}
	if err := p.Go(ctx, func(context.Context) error { return fmt.Errorf("fetch: %w", context.DeadlineExceeded) }); err != nil {
		t.Fatal(err)
	}
	goBarrier(t, p)
	got := reports()
	if len(got) != 2 || got[0].Err != context.Canceled || !errors.Is(got[1].Err, context.DeadlineExceeded) {
		t.Fatalf("reports %+v, want context.Canceled from the live context, then the deadline", got)
	}
}
