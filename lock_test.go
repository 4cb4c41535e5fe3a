package duet_test

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
)

// ---- helpers shared by the primitives' tests ----

// runLoop runs main as the main task of a loop with a virtual clock.
func runLoop(t testing.TB, main func(ctx context.Context) error) {
	t.Helper()
	if err := aio.Run(context.Background(), main, vclock()); err != nil {
		t.Fatal(err)
	}
}

// spawn starts fn as a task of ctx's loop.
func spawn(ctx context.Context, name string, fn func(ctx context.Context) error) *aio.Task[struct{}] {
	return aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}, aio.WithName(name))
}

// yield lets the loop run n iterations' worth of other tasks.
func yield(ctx context.Context, n int) {
	for range n {
		duet.Sleep(ctx, 0)
	}
}

// errOf awaits t and returns its error.
func errOf(ctx context.Context, t *aio.Task[struct{}]) error {
	_, err := duet.Await(ctx, t)
	return err
}

// trace records events from tasks and goroutines.
type trace struct {
	mu sync.Mutex
	ev []string
}

func (tr *trace) add(format string, args ...any) {
	tr.mu.Lock()
	tr.ev = append(tr.ev, fmt.Sprintf(format, args...))
	tr.mu.Unlock()
}

func (tr *trace) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.ev, " ")
}

func (tr *trace) want(t testing.TB, want string) {
	t.Helper()
	if got := tr.String(); got != want {
		t.Fatalf("trace\n got: %s\nwant: %s", got, want)
	}
}

// waitUntil polls cond until it holds: goroutine tests use it to know that
// a goroutine has parked before they start the next one. The long limit is
// only a guard against a hang, not a timing assertion.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for: %s", what)
		}
		runtime.Gosched()
		time.Sleep(50 * time.Microsecond)
	}
}

func wantCancelled(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("%s: got %v, want an error matching ErrCancelled", what, err)
	}
}

// ---- Lock ----

func TestLockZeroValue(t *testing.T) {
	var l duet.Lock
	if l.Locked() {
		t.Fatal("zero Lock is locked")
	}
	if err := l.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.Locked() || l.TryAcquire() {
		t.Fatal("Acquire did not lock")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if !l.TryAcquire() {
		t.Fatal("TryAcquire on a free lock failed")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestLockReleaseUnlocked(t *testing.T) {
	var l duet.Lock
	err := l.Release()
	if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "not locked") {
		t.Fatalf("Release of an unlocked lock: %v", err)
	}
	if l.Locked() {
		t.Fatal("failed Release changed the lock")
	}
}

func TestLockNilContext(t *testing.T) {
	// Refused whether or not the lock is free (the one nil-ctx rule).
	var l duet.Lock
	if err := l.Acquire(nil); !errors.Is(err, duet.ErrNilContext) || l.Locked() { //nolint:staticcheck // deliberately bad input
		t.Fatalf("uncontended Acquire(nil): %v, locked %v", err, l.Locked())
	}
	l.TryAcquire()
	err := l.Acquire(nil) //nolint:staticcheck // deliberately bad input
	if !errors.Is(err, duet.ErrNilContext) || !strings.Contains(err.Error(), "nil context") {
		t.Fatalf("contended Acquire(nil): %v", err)
	}
	if duet.LockWaiters(&l) != 0 {
		t.Fatal("Acquire(nil) left a waiter")
	}
}

// TestLockTaskFIFO: waiters acquire in arrival order, and a newcomer after
// Release cannot barge past the woken waiter (asyncio 3.11+).
func TestLockTaskFIFO(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var l duet.Lock
		l.Acquire(ctx)
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				tr.add("%s", name)
				duet.Sleep(ctx, 0)
				return l.Release()
			}
		}
		ts := []*aio.Task[struct{}]{spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B")), spawn(ctx, "C", body("C"))}
		yield(ctx, 1)
		if n := duet.LockWaiters(&l); n != 3 {
			return fmt.Errorf("waiters = %d, want 3", n)
		}
		if err := l.Release(); err != nil {
			return err
		}
		// Not a hand-off: unlocked, but A is woken and owed the lock.
		if l.Locked() {
			return errors.New("Locked() right after Release")
		}
		if l.TryAcquire() {
			return errors.New("TryAcquire barged past the woken waiter")
		}
		ts = append(ts, spawn(ctx, "D", body("D")))
		for _, tk := range ts {
			if err := errOf(ctx, tk); err != nil {
				return err
			}
		}
		if l.Locked() || duet.LockWaiters(&l) != 0 {
			return errors.New("lock not left clean")
		}
		return nil
	})
	tr.want(t, "A B C D")
}

// lockTaker returns task bodies that take l once, logging their name, or
// name:cancelled when their wait is cancelled.
func lockTaker(l *duet.Lock, tr *trace) func(name string) func(ctx context.Context) error {
	return func(name string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if err := l.Acquire(ctx); err != nil {
				tr.add("%s:cancelled", name)
				return err
			}
			tr.add("%s", name)
			return l.Release()
		}
	}
}

// TestLockCancelBeforeWoken: a waiter cancelled while queued leaves; the
// next ones keep their order.
func TestLockCancelBeforeWoken(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var l duet.Lock
		l.Acquire(ctx)
		body := lockTaker(&l, &tr)
		a, b, c := spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B")), spawn(ctx, "C", body("C"))
		yield(ctx, 1)
		b.Cancel("go away")
		yield(ctx, 1)
		l.Release()
		if err := errOf(ctx, a); err != nil {
			return err
		}
		wantCancelled(t, "B", errOf(ctx, b))
		if err := errOf(ctx, c); err != nil {
			return err
		}
		if !b.Cancelled() || l.Locked() || duet.LockWaiters(&l) != 0 {
			return errors.New("bad final state")
		}
		return nil
	})
	tr.want(t, "B:cancelled A C")
}

// TestLockWokenThenCancelled: the woken waiter is cancelled before it runs;
// it passes the wake-up to the next waiter (no lost wake-up).
func TestLockWokenThenCancelled(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var l duet.Lock
		l.Acquire(ctx)
		body := lockTaker(&l, &tr)
		a, b := spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B"))
		yield(ctx, 1)
		l.Release() // wakes A
		a.Cancel("")
		wantCancelled(t, "A", errOf(ctx, a))
		if err := errOf(ctx, b); err != nil {
			return err
		}
		// Alone: the only waiter woken then cancelled leaves the lock free.
		l.Acquire(ctx)
		c := spawn(ctx, "C", body("C"))
		yield(ctx, 1)
		l.Release()
		c.Cancel("")
		wantCancelled(t, "C", errOf(ctx, c))
		if l.Locked() || duet.LockWaiters(&l) != 0 || !l.TryAcquire() {
			return errors.New("lock not free after its only woken waiter was cancelled")
		}
		return l.Release()
	})
	tr.want(t, "A:cancelled B C:cancelled")
}

// TestLockUncontendedDoesNotSuspend: like asyncio, acquiring a free lock
// does not suspend, so a pending cancellation is not delivered there.
func TestLockUncontendedDoesNotSuspend(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		var l duet.Lock
		var self *aio.Task[struct{}]
		self = spawn(ctx, "self", func(ctx context.Context) error {
			self.Cancel("pending")
			if err := l.Acquire(ctx); err != nil {
				return fmt.Errorf("uncontended Acquire: %w", err)
			}
			l.Release()
			return duet.Sleep(ctx, 0) // the cancel lands here
		})
		err := errOf(ctx, self)
		if !self.Cancelled() {
			return fmt.Errorf("task not cancelled at its first suspension: %v", err)
		}
		// A contended Acquire suspends, so a pending cancel lands there.
		l.Acquire(ctx)
		var t2 *aio.Task[struct{}]
		t2 = spawn(ctx, "t2", func(ctx context.Context) error {
			t2.Cancel("pending")
			return l.Acquire(ctx)
		})
		wantCancelled(t, "contended Acquire with a pending cancel", errOf(ctx, t2))
		if duet.LockWaiters(&l) != 0 {
			return errors.New("cancelled waiter left in the list")
		}
		return l.Release()
	})
}

// TestLockTaskCtxDeadline: a task waiting with a ctx deadline gets
// ErrTimeout and leaves no trace.
func TestLockTaskCtxDeadline(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		var l duet.Lock
		l.Acquire(ctx)
		tk := spawn(ctx, "w", func(ctx context.Context) error {
			tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
			defer cancel()
			return l.Acquire(tctx)
		})
		err := errOf(ctx, tk)
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("got %v, want ErrTimeout", err)
		}
		if duet.LockWaiters(&l) != 0 {
			return errors.New("timed-out waiter left in the list")
		}
		l.Release()
		if !l.TryAcquire() {
			return errors.New("lock not free")
		}
		return l.Release()
	})
}

// TestLockTaskWaitsForGoroutine: a task waiting for a lock held by a
// goroutine suspends only itself; the loop runs other tasks meanwhile.
func TestLockTaskWaitsForGoroutine(t *testing.T) {
	var l duet.Lock
	l.Acquire(context.Background())
	released := make(chan struct{})
	go func() {
		waitUntil(t, "task parked", func() bool { return duet.LockWaiters(&l) == 1 })
		l.Release()
		close(released)
	}()
	runLoop(t, func(ctx context.Context) error {
		var got atomic.Bool
		steps := 0
		w := spawn(ctx, "waiter", func(ctx context.Context) error {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			got.Store(true)
			return l.Release()
		})
		other := spawn(ctx, "other", func(ctx context.Context) error {
			for !got.Load() {
				steps++
				duet.Sleep(ctx, 0)
			}
			return nil
		})
		if err := errOf(ctx, w); err != nil {
			return err
		}
		errOf(ctx, other)
		if steps == 0 {
			return errors.New("the loop did not run other tasks while one waited")
		}
		return nil
	})
	<-released
}

func TestLockGoroutineFIFO(t *testing.T) {
	var l duet.Lock
	var tr trace
	ctx := context.Background()
	l.Acquire(ctx)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			tr.add("g%d", i)
			l.Release()
		}()
		waitUntil(t, "goroutine parked", func() bool { return duet.LockWaiters(&l) == i+1 })
	}
	l.Release()
	wg.Wait()
	tr.want(t, "g0 g1 g2 g3 g4")
}

func TestLockGoroutineCtx(t *testing.T) {
	var l duet.Lock
	l.Acquire(context.Background())

	tctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	err := l.Acquire(tctx)
	if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}

	cctx, cancel2 := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Acquire(cctx) }()
	waitUntil(t, "goroutine parked", func() bool { return duet.LockWaiters(&l) == 1 })
	cancel2()
	wantCancelled(t, "cancelled ctx", <-done)

	if n := duet.LockWaiters(&l); n != 0 {
		t.Fatalf("%d waiters left", n)
	}
	l.Release()
	if !l.TryAcquire() {
		t.Fatal("lock not free after its waiters gave up")
	}
}

// TestLockGoroutineCancelStorm: goroutines with short deadlines contend with
// goroutines that wait without one; every acquisition is exclusive and none
// is lost.
func TestLockGoroutineCancelStorm(t *testing.T) {
	var l duet.Lock
	var inside, total, failed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if (g+i)%3 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%5)*time.Microsecond)
				}
				err := l.Acquire(ctx)
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				if inside.Add(1) != 1 {
					t.Error("two holders at once")
				}
				total.Add(1)
				runtime.Gosched()
				inside.Add(-1)
				l.Release()
			}
		}()
	}
	wg.Wait()
	if total.Load()+failed.Load() != 8*300 {
		t.Fatalf("acquired %d + failed %d != %d", total.Load(), failed.Load(), 8*300)
	}
	if l.Locked() || duet.LockWaiters(&l) != 0 {
		t.Fatal("lock not left clean")
	}
}

// TestLockMixed: tasks of two loops and plain goroutines share one lock.
func TestLockMixed(t *testing.T) {
	var l duet.Lock
	var inside, total atomic.Int64
	const perWorker = 200
	critical := func(ctx context.Context) error {
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		if inside.Add(1) != 1 {
			return errors.New("two holders at once")
		}
		total.Add(1)
		duet.Sleep(ctx, 0) // a task yields to its loop while holding the lock
		runtime.Gosched()
		inside.Add(-1)
		return l.Release()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				var ts []*aio.Task[struct{}]
				for k := range 3 {
					ts = append(ts, spawn(ctx, fmt.Sprint(k), func(ctx context.Context) error {
						for range perWorker {
							if err := critical(ctx); err != nil {
								return err
							}
						}
						return nil
					}))
				}
				for _, tk := range ts {
					if err := errOf(ctx, tk); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				if err := critical(context.Background()); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := int64((2*3 + 3) * perWorker); total.Load() != want {
		t.Fatalf("total %d, want %d", total.Load(), want)
	}
	if l.Locked() || duet.LockWaiters(&l) != 0 {
		t.Fatal("lock not left clean")
	}
}

func BenchmarkLockUncontendedTask(b *testing.B) {
	b.ReportAllocs()
	runLoop(b, func(ctx context.Context) error {
		var l duet.Lock
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := l.Acquire(ctx); err != nil {
				return err
			}
			if err := l.Release(); err != nil {
				return err
			}
		}
		return nil
	})
}

func BenchmarkLockUncontendedGoroutine(b *testing.B) {
	b.ReportAllocs()
	var l duet.Lock
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		l.Acquire(ctx)
		l.Release()
	}
}

// BenchmarkLockContendedTasks: two tasks of one loop take turns holding the
// lock across a yield (each op is one acquire+release that had to wait).
func BenchmarkLockContendedTasks(b *testing.B) {
	b.ReportAllocs()
	runLoop(b, func(ctx context.Context) error {
		var l duet.Lock
		n := b.N / 2
		body := func(ctx context.Context) error {
			for range n {
				if err := l.Acquire(ctx); err != nil {
					return err
				}
				duet.Sleep(ctx, 0)
				l.Release()
			}
			return nil
		}
		b.ResetTimer()
		t1, t2 := spawn(ctx, "1", body), spawn(ctx, "2", body)
		errOf(ctx, t1)
		return errOf(ctx, t2)
	})
}

// TestDestroyedWaitersLeaveNoTrace: closing a loop destroys its tasks that
// still wait (their functions unwind). A destroyed waiter, even one that had
// just been granted the lock, a permit or an item, must pass it on to the
// next waiter, here a goroutine, and leave nothing behind.
func TestDestroyedWaitersLeaveNoTrace(t *testing.T) {
	bg := context.Background()
	// destroy runs wait as a task of a new loop until it waits, calls
	// grant (which may wake it) and closes the loop.
	destroy := func(t *testing.T, wait func(ctx context.Context) error, grant func()) {
		t.Helper()
		l := aio.New(aio.WithExceptionHandler(func(*aio.Loop, aio.ExceptionContext) {}))
		ctx := l.Context()
		aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, wait(ctx) })
		settle := aio.Spawn(ctx, func(ctx context.Context) (int, error) { yield(ctx, 2); return 0, nil })
		if _, err := aio.RunUntilComplete(l, settle); err != nil {
			t.Fatal(err)
		}
		grant()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Lock", func(t *testing.T) {
		var lk duet.Lock
		lk.Acquire(bg)
		destroy(t, lk.Acquire, func() {})
		if duet.LockWaiters(&lk) != 0 {
			t.Fatal("destroyed waiter left in the lock")
		}
		lk.Release()
		if !lk.TryAcquire() {
			t.Fatal("lock not free")
		}
		// Woken, then destroyed: the goroutine queued behind gets the lock.
		got := make(chan error)
		destroy(t, lk.Acquire, func() {
			go func() { got <- lk.Acquire(bg) }()
			waitUntil(t, "goroutine queued", func() bool { return duet.LockWaiters(&lk) == 2 })
			lk.Release() // wakes the task, which will not run again
		})
		if err := <-got; err != nil || !lk.Locked() {
			t.Fatalf("goroutine: %v", err)
		}
	})
	t.Run("Semaphore", func(t *testing.T) {
		s := newSem(t, 0)
		got := make(chan error)
		destroy(t, s.Acquire, func() {
			go func() { got <- s.Acquire(bg) }()
			waitUntil(t, "goroutine queued", func() bool { return duet.SemaphoreWaiters(s) == 2 })
			s.Release() // grants the task's permit
		})
		if err := <-got; err != nil || s.TryAcquire() || duet.SemaphoreWaiters(s) != 0 {
			t.Fatalf("goroutine: %v", err)
		}
	})
	t.Run("Queue", func(t *testing.T) {
		q := duet.NewQueue[int](0)
		got := make(chan int)
		destroy(t, func(ctx context.Context) error { _, err := q.Get(ctx); return err }, func() {
			go func() { v, _ := q.Get(bg); got <- v }()
			waitUntil(t, "goroutine queued", func() bool { g, _, _ := duet.QueueWaiters(q); return g == 2 })
			q.TryPut(42) // wakes the task
		})
		if v := <-got; v != 42 {
			t.Fatalf("goroutine got %d", v)
		}
		if g, p, _ := duet.QueueWaiters(q); g+p != 0 {
			t.Fatal("waiters left")
		}
	})
	t.Run("Condition", func(t *testing.T) {
		var c duet.Condition
		got := make(chan error)
		destroy(t, func(ctx context.Context) error {
			c.Acquire(ctx)
			return c.Wait(ctx)
		}, func() {
			go func() {
				c.Acquire(bg)
				err := c.Wait(bg)
				c.Release()
				got <- err
			}()
			waitUntil(t, "goroutine waiting", func() bool { return duet.ConditionWaiters(&c) == 2 })
			c.Acquire(bg)
			c.Notify(1) // notifies the task
			c.Release()
		})
		if err := <-got; err != nil {
			t.Fatalf("goroutine: %v", err)
		}
	})
	t.Run("Barrier", func(t *testing.T) {
		b := newBarrier(t, 2)
		destroy(t, func(ctx context.Context) error { _, err := b.Wait(ctx); return err }, func() {})
		if b.NWaiting() != 0 || b.Broken() {
			t.Fatal("destroyed party still counted")
		}
	})
}
