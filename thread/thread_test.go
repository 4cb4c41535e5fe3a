package thread_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
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

func TestThreadStartJoin(t *testing.T) {
	ctx := guard(t)
	release := make(chan struct{})
	th := thread.Start(ctx, "worker", func(ctx context.Context) (int, error) {
		<-release
		return 42, nil
	})
	if th.Name() != "worker" {
		t.Errorf("Name = %q", th.Name())
	}
	if !th.IsAlive() {
		t.Error("IsAlive false right after Start")
	}
	if !th.Future().Running() {
		t.Error("the thread's future is not running")
	}
	if th.Future().Cancel("no") {
		t.Error("Cancel of a running thread's future succeeded")
	}
	if !slices.Contains(thread.Enumerate(), th.Info()) {
		t.Errorf("Enumerate %v lacks %v", thread.Enumerate(), th.Info())
	}
	if _, err := th.Result(); !errors.Is(err, duet.ErrInvalidState) {
		t.Errorf("Result of a live thread: %v", err)
	}
	close(release)
	v, err := th.Join(ctx)
	if v != 42 || err != nil {
		t.Fatalf("Join = %v, %v", v, err)
	}
	if th.IsAlive() {
		t.Error("IsAlive true after Join")
	}
	if slices.Contains(thread.Enumerate(), th.Info()) {
		t.Error("Enumerate lists an ended thread")
	}
	if !strings.Contains(th.String(), "stopped") {
		t.Errorf("String = %q", th.String())
	}
	// Join again, and Await, give the same outcome.
	if v, err := duet.Await(ctx, th); v != 42 || err != nil {
		t.Errorf("Await = %v, %v", v, err)
	}
}

func TestThreadDefaultNamesAndIDs(t *testing.T) {
	ctx := guard(t)
	a := thread.Start(ctx, "", func(context.Context) (int, error) { return 0, nil })
	b := thread.Start(ctx, "", func(context.Context) (int, error) { return 0, nil })
	for _, th := range []*thread.Thread[int]{a, b} {
		if !strings.HasPrefix(th.Name(), "Thread-") {
			t.Errorf("default name %q", th.Name())
		}
		th.Join(ctx)
	}
	if a.Name() == b.Name() || a.ID() == b.ID() || a.ID() == 0 {
		t.Errorf("names %q %q, ids %d %d", a.Name(), b.Name(), a.ID(), b.ID())
	}
}

func TestThreadEnumerateActiveCount(t *testing.T) {
	ctx := guard(t)
	base := thread.ActiveCount()
	release := make(chan struct{})
	var ths []*thread.Thread[struct{}]
	for range 5 {
		ths = append(ths, thread.Start(ctx, "enum", func(context.Context) (struct{}, error) {
			<-release
			return struct{}{}, nil
		}))
	}
	if got := thread.ActiveCount(); got != base+5 {
		t.Errorf("ActiveCount = %d, want %d", got, base+5)
	}
	if got := len(thread.Enumerate()); got != base+5 {
		t.Errorf("len(Enumerate) = %d, want %d", got, base+5)
	}
	list := thread.Enumerate()
	if !slices.IsSortedFunc(list, func(a, b thread.Info) int { return int(a.ID) - int(b.ID) }) {
		t.Errorf("Enumerate not ordered by ID: %v", list)
	}
	close(release)
	for _, th := range ths {
		th.Join(ctx)
	}
	if got := thread.ActiveCount(); got != base {
		t.Errorf("ActiveCount after joins = %d, want %d", got, base)
	}
}

func TestThreadJoinSelf(t *testing.T) {
	ctx := guard(t)
	self := make(chan *thread.Thread[error], 1)
	th := thread.Start(ctx, "self", func(ctx context.Context) (error, error) {
		me := <-self
		_, err := me.Join(ctx)
		// A derived context is the same thread.
		dctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, err2 := me.Join(dctx)
		return errors.Join(err, err2), nil
	})
	self <- th
	err, _ := th.Join(ctx)
	if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "cannot join itself") {
		t.Fatalf("self join: %v", err)
	}
}

func TestThreadJoinGivesUpWithCtx(t *testing.T) {
	ctx := guard(t)
	release := make(chan struct{})
	th := thread.Start(ctx, "slow", func(context.Context) (int, error) {
		<-release
		return 7, nil
	})
	jctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := th.Join(jctx); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("Join with a cancelled ctx: %v", err)
	}
	if !th.IsAlive() {
		t.Fatal("the thread ended although nothing released it")
	}
	dctx, cancel2 := context.WithTimeout(ctx, time.Microsecond)
	defer cancel2()
	if _, err := th.Join(dctx); !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("Join past a deadline: %v", err)
	}
	close(release)
	if v, err := th.Join(ctx); v != 7 || err != nil {
		t.Fatalf("Join = %v, %v", v, err)
	}
}

func TestThreadPanicAndGoexit(t *testing.T) {
	ctx := guard(t)
	p := thread.Start(ctx, "panics", func(context.Context) (int, error) { panic("boom") })
	_, err := p.Join(ctx)
	var pe *duet.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || len(pe.Stack) == 0 {
		t.Fatalf("panic: %v", err)
	}
	g := thread.Start(ctx, "goexit", func(context.Context) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
	if _, err := g.Join(ctx); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Goexit: %v", err)
	}
	if g.IsAlive() {
		t.Error("a thread that called Goexit is alive")
	}
}

func TestThreadNilFunction(t *testing.T) {
	th := thread.Start[int](context.Background(), "nil", nil)
	_, err := th.Join(context.Background())
	if err == nil || !strings.Contains(err.Error(), "nil function") {
		t.Fatalf("nil fn: %v", err)
	}
	if th.IsAlive() {
		t.Error("a thread with no function is alive")
	}
}

func TestThreadFunctionError(t *testing.T) {
	ctx := guard(t)
	boom := errors.New("boom")
	th := thread.Start(ctx, "", func(context.Context) (int, error) { return 0, boom })
	if _, err := th.Join(ctx); err != boom {
		t.Fatalf("Join error = %v", err)
	}
}

func TestCurrentAndWithIdentity(t *testing.T) {
	ctx := guard(t)
	if _, ok := thread.Current(ctx); ok {
		t.Error("a plain context has a current thread")
	}
	th := thread.Start(ctx, "cur", func(ctx context.Context) (thread.Info, error) {
		info, ok := thread.Current(ctx)
		if !ok {
			return info, errors.New("no current thread")
		}
		return info, nil
	})
	info, err := th.Join(ctx)
	if err != nil || info != th.Info() {
		t.Fatalf("Current in thread = %v, %v; want %v", info, err, th.Info())
	}
	ictx := thread.WithIdentity(ctx, "main")
	info, ok := thread.Current(context.WithValue(ictx, struct{}{}, 1))
	if !ok || info.Name != "main" || info.ID == 0 {
		t.Fatalf("Current(WithIdentity) = %v, %v", info, ok)
	}
	if slices.ContainsFunc(thread.Enumerate(), func(i thread.Info) bool { return i.ID == info.ID }) {
		t.Error("Enumerate lists an adopted goroutine")
	}
	if info, _ := thread.Current(thread.WithIdentity(context.Background(), "")); !strings.HasPrefix(info.Name, "Dummy-") {
		t.Errorf("default dummy name %q", info.Name)
	}
}

// A thread started from a loop task's context is not on the loop: its
// waits block the goroutine, and it can run while the loop runs tasks.
func TestThreadFromLoopTask(t *testing.T) {
	err := aio.Run(guard(t), func(ctx context.Context) error {
		step := make(chan struct{})
		th := thread.Start(ctx, "from-task", func(ctx context.Context) (bool, error) {
			if park.Current(ctx) != nil || park.LoopOf(ctx) != nil {
				return false, errors.New("the thread's context exposes the loop task")
			}
			if _, ok := aio.CurrentTask(ctx); ok {
				return false, errors.New("CurrentTask in a thread")
			}
			if err := duet.Sleep(ctx, time.Millisecond); err != nil {
				return false, err
			}
			<-step
			_, ok := thread.Current(ctx)
			return ok, nil
		})
		// Another task runs while main waits in Join.
		other := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(step)
			return 1, nil
		})
		ok, err := th.Join(ctx)
		if err != nil || !ok {
			return errors.Join(errors.New("thread failed"), err)
		}
		_, err = duet.Await(ctx, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Cancelling a task that joins a thread ends the join at once; the thread
// goes on.
func TestThreadJoinFromCancelledTask(t *testing.T) {
	release := make(chan struct{})
	var th *thread.Thread[int]
	err := aio.Run(guard(t), func(ctx context.Context) error {
		th = thread.Start(ctx, "long", func(context.Context) (int, error) {
			<-release
			return 5, nil
		})
		joiner := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return th.Join(ctx) })
		if err := duet.Sleep(ctx, 0); err != nil { // let joiner start waiting
			return err
		}
		joiner.Cancel("stop joining")
		_, err := duet.Await(ctx, joiner)
		if !errors.Is(err, duet.ErrCancelled) {
			return errors.Join(errors.New("joiner not cancelled"), err)
		}
		if !th.IsAlive() {
			return errors.New("the thread ended")
		}
		// Join under a timeout on the loop's clock gives up too.
		err = duet.WithTimeout(ctx, time.Millisecond, func(ctx context.Context) error {
			_, err := th.Join(ctx)
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return errors.Join(errors.New("join under WithTimeout"), err)
		}
		return nil
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := th.Join(context.Background()); v != 5 || err != nil {
		t.Fatalf("Join = %v, %v", v, err)
	}
}

// A thread's error reaches the except hook only if nobody retrieved it by
// the time the Thread is garbage collected.
func TestExceptHook(t *testing.T) {
	reports := make(chan thread.ExceptHookArgs, 16)
	prev := thread.SetExceptHook(func(a thread.ExceptHookArgs) { reports <- a })
	defer thread.SetExceptHook(prev)

	ctx := guard(t)
	lost := errors.New("lost")
	func() {
		joined := thread.Start(ctx, "joined", func(context.Context) (int, error) { return 0, errors.New("retrieved") })
		ignored := thread.Start(ctx, "ignored", func(context.Context) (int, error) { return 0, lost })
		cancelled := thread.Start(ctx, "cancelled", func(context.Context) (int, error) {
			return 0, &duet.CancelledError{Msg: "stopped"}
		})
		panicked := thread.Start(ctx, "panicked", func(context.Context) (int, error) { panic("p") })
		sctx, stop := context.WithCancel(ctx)
		asked := thread.Start(sctx, "asked", func(ctx context.Context) (int, error) { stop(); return 0, ctx.Err() })
		joined.Join(ctx)
		for _, th := range []*thread.Thread[int]{ignored, cancelled, panicked, asked} {
			<-th.Done()
		}
	}()
	got := map[string]error{}
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case a := <-reports:
			got[a.Thread.Name] = a.Err
		case <-time.After(10 * time.Millisecond):
		}
	}
	for range 3 { // give a wrongly reported thread its chance to show up
		runtime.GC()
		select {
		case a := <-reports:
			got[a.Thread.Name] = a.Err
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got["ignored"] != lost {
		t.Errorf("ignored thread reported %v", got["ignored"])
	}
	var pe *duet.PanicError
	if !errors.As(got["panicked"], &pe) {
		t.Errorf("panicked thread reported %v", got["panicked"])
	}
	if len(got) != 2 {
		t.Errorf("reports: %v (want only ignored and panicked)", got)
	}
}

func TestSetExceptHookNilRestoresDefault(t *testing.T) {
	mine := func(thread.ExceptHookArgs) {}
	prev := thread.SetExceptHook(mine)
	if got := thread.SetExceptHook(nil); got == nil {
		t.Fatal("SetExceptHook returned nil")
	}
	// After nil, the previous hook reported is the default.
	back := thread.SetExceptHook(prev)
	if back == nil {
		t.Fatal("nil previous hook")
	}
	var called atomic.Bool
	thread.SetExceptHook(func(thread.ExceptHookArgs) { called.Store(true) })
	thread.SetExceptHook(prev)
	logged := captureLog(t)
	thread.DefaultExceptHook(thread.ExceptHookArgs{Thread: thread.Info{ID: 1, Name: "x"}, Err: errors.New("logged")})
	if called.Load() {
		t.Error("a replaced hook was called")
	}
	if out := logged(); !strings.Contains(out, "Exception in thread x") || !strings.Contains(out, "err=logged") {
		t.Errorf("default hook logged %q", out)
	}
}

// A done callback runs in the thread's goroutine as it ends; one that
// panics is logged and does not crash the program.
func TestThreadDoneCallbackPanic(t *testing.T) {
	ctx := guard(t)
	logged := captureLog(t)
	release := make(chan struct{})
	th := thread.Start(ctx, "", func(context.Context) (int, error) {
		<-release
		return 1, nil
	})
	th.Future().AddDoneCallback(context.Background(), func(*duet.Future[int]) { panic("in callback") })
	close(release)
	if v, err := th.Join(ctx); v != 1 || err != nil {
		t.Fatalf("Join = %v, %v", v, err)
	}
	eventually(t, "the panic to be logged", func() bool { return strings.Contains(logged(), "in callback") })
}

// A loop task cancelled while it awaits a thread stops waiting at once;
// the thread, which cannot be stopped, runs on and its outcome stays
// available.
func TestAwaitThreadFromCancelledTask(t *testing.T) {
	err := aio.Run(guard(t), func(ctx context.Context) error {
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		// A safety valve: a waiter that wrongly waits for the thread ends
		// when this fires, and the IsAlive check below then fails.
		valve := time.AfterFunc(5*time.Second, free)
		defer valve.Stop()
		th := thread.Start(ctx, "unstoppable", func(context.Context) (int, error) {
			<-release
			return 7, nil
		})
		waiter := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.Await(ctx, th) })
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		waiter.Cancel("stop")
		if _, err := duet.Await(ctx, waiter); !errors.Is(err, duet.ErrCancelled) {
			t.Errorf("cancelled waiter: %v, want a cancellation", err)
		}
		if !th.IsAlive() {
			t.Error("the cancelled waiter returned only once the thread had ended")
		}
		free()
		if v, err := th.Join(ctx); v != 7 || err != nil {
			t.Errorf("Join = %v, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
