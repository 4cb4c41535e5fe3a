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

func newSem(t testing.TB, n int) *duet.Semaphore {
	t.Helper()
	s, err := duet.NewSemaphore(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSemaphoreBadInput(t *testing.T) {
	if s, err := duet.NewSemaphore(-1); s != nil || err == nil || !strings.Contains(err.Error(), ">= 0") {
		t.Fatalf("NewSemaphore(-1) = %v, %v", s, err)
	}
	if s, err := duet.NewBoundedSemaphore(-2); s != nil || err == nil || !strings.Contains(err.Error(), ">= 0") {
		t.Fatalf("NewBoundedSemaphore(-2) = %v, %v", s, err)
	}
	s := newSem(t, 0)
	if err := s.Acquire(nil); err == nil { //nolint:staticcheck // deliberately bad input
		t.Fatal("contended Acquire(nil) succeeded")
	}
	if duet.SemaphoreWaiters(s) != 0 {
		t.Fatal("waiter left")
	}
}

func TestSemaphoreZeroValue(t *testing.T) {
	var s duet.Semaphore
	if !s.Locked() || s.TryAcquire() {
		t.Fatal("zero Semaphore has a permit")
	}
	s.Release()
	s.Release()
	if s.Locked() || !s.TryAcquire() || !s.TryAcquire() || s.TryAcquire() {
		t.Fatal("Release did not add exactly two permits")
	}
}

func TestBoundedSemaphore(t *testing.T) {
	b, err := duet.NewBoundedSemaphore(2)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Release()
	if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "more times than acquired") {
		t.Fatalf("over-release: %v", err)
	}
	ctx := context.Background()
	b.Acquire(ctx)
	if !b.TryAcquire() || !b.Locked() {
		t.Fatal("two permits expected")
	}
	if b.Release() != nil || b.Release() != nil || b.Release() == nil {
		t.Fatal("bound not enforced")
	}
	// A permit held by a woken waiter counts as acquired.
	runLoop(t, func(ctx context.Context) error {
		b, _ := duet.NewBoundedSemaphore(1)
		b.Acquire(ctx)
		w := spawn(ctx, "w", b.Acquire)
		yield(ctx, 1)
		if err := b.Release(); err != nil { // grants w's permit
			return err
		}
		if err := errOf(ctx, w); err != nil {
			return err
		}
		if err := b.Release(); err != nil { // w's release
			return err
		}
		if err := b.Release(); err == nil {
			return errors.New("over-release after a hand-over accepted")
		}
		return nil
	})
}

// TestSemaphoreFIFOOrder is CPython's test_acquire_fifo_order.
func TestSemaphoreFIFOOrder(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		body := func(tag string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for i := 1; i <= 2; i++ {
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					tr.add("%s_%d", tag, i)
					duet.Sleep(ctx, 10*time.Millisecond)
					s.Release()
				}
				return nil
			}
		}
		a, b, c := spawn(ctx, "c1", body("c1")), spawn(ctx, "c2", body("c2")), spawn(ctx, "c3", body("c3"))
		return errors.Join(errOf(ctx, a), errOf(ctx, b), errOf(ctx, c))
	})
	tr.want(t, "c1_1 c2_1 c3_1 c1_2 c2_2 c3_2")
}

// TestSemaphoreFIFOOrder2 is CPython's test_acquire_fifo_order_2: a task
// that releases and re-acquires goes behind the waiters already queued.
func TestSemaphoreFIFOOrder2(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 1)
		c1 := spawn(ctx, "c1", func(ctx context.Context) error {
			err := s.Acquire(ctx)
			tr.add("1")
			return err
		})
		c2 := spawn(ctx, "c2", func(ctx context.Context) error {
			s.Acquire(ctx)
			tr.add("2")
			s.Release()
			err := s.Acquire(ctx)
			tr.add("4")
			return err
		})
		c3 := spawn(ctx, "c3", func(ctx context.Context) error {
			err := s.Acquire(ctx)
			tr.add("3")
			return err
		})
		yield(ctx, 1)
		s.Release()
		s.Release()
		return errors.Join(errOf(ctx, c1), errOf(ctx, c2), errOf(ctx, c3))
	})
	tr.want(t, "1 2 3 4")
}

// TestSemaphoreFIFOOrder3 is CPython's test_acquire_fifo_order_3: a
// cancelled waiter's place is skipped.
func TestSemaphoreFIFOOrder3(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		var ts []*aio.Task[struct{}]
		for i := 1; i <= 3; i++ {
			ts = append(ts, spawn(ctx, fmt.Sprint(i), func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				tr.add("%d", i)
				return nil
			}))
		}
		yield(ctx, 1)
		ts[0].Cancel("")
		yield(ctx, 1)
		s.Release()
		s.Release()
		wantCancelled(t, "1", errOf(ctx, ts[0]))
		return errors.Join(errOf(ctx, ts[1]), errOf(ctx, ts[2]))
	})
	tr.want(t, "2 3")
}

// TestSemaphoreFIFOOrder4 is CPython 3.12+'s test_acquire_fifo_order_4: a
// successful Acquire wakes every waiter that queued behind it while
// permits were free, so a task spawned then runs after all of them.
func TestSemaphoreFIFOOrder4(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		var t4 *aio.Task[struct{}]
		c1 := spawn(ctx, "c1", func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			if !s.Locked() || s.TryAcquire() {
				return errors.New("c1: a permit is still free: the queued waiters were not all woken")
			}
			t4 = spawn(ctx, "c4", func(ctx context.Context) error { tr.add("4"); return nil })
			tr.add("1")
			return nil
		})
		c2 := spawn(ctx, "c2", func(ctx context.Context) error {
			s.Release()
			s.Release()
			s.Release()
			if !s.Locked() {
				return errors.New("c2: not locked although c1 is owed a permit and has not run")
			}
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			tr.add("2")
			return nil
		})
		c3 := spawn(ctx, "c3", func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			if !s.Locked() {
				return errors.New("c3: not locked")
			}
			tr.add("3")
			return nil
		})
		if err := errors.Join(errOf(ctx, c1), errOf(ctx, c2), errOf(ctx, c3)); err != nil {
			return err
		}
		return errOf(ctx, t4)
	})
	tr.want(t, "1 2 3 4")
}

// TestSemaphoreCancelledThenRelease is the gh-90155 hang: the first waiter
// is cancelled and a permit released in the same step; the permit must go
// to the second waiter, not vanish with the cancelled one.
func TestSemaphoreCancelledThenRelease(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		t1, t2 := spawn(ctx, "t1", s.Acquire), spawn(ctx, "t2", s.Acquire)
		yield(ctx, 1)
		t1.Cancel("")
		s.Release()
		yield(ctx, 1)
		if !s.Locked() || !t2.IsDone() {
			return fmt.Errorf("locked=%v t2 done=%v: the permit was lost", s.Locked(), t2.IsDone())
		}
		wantCancelled(t, "t1", errOf(ctx, t1))
		return errOf(ctx, t2)
	})
}

// TestSemaphoreWokenThenCancelled: a waiter granted a permit and cancelled
// before it runs passes the permit to the next waiter.
func TestSemaphoreWokenThenCancelled(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		t1, t2, t3 := spawn(ctx, "t1", s.Acquire), spawn(ctx, "t2", s.Acquire), spawn(ctx, "t3", s.Acquire)
		yield(ctx, 1)
		s.Release() // granted to t1
		t1.Cancel("")
		yield(ctx, 2)
		if !t1.Cancelled() || !t2.IsDone() || t3.IsDone() || !s.Locked() {
			return fmt.Errorf("t1 cancelled=%v t2 done=%v t3 done=%v locked=%v", t1.Cancelled(), t2.IsDone(), t3.IsDone(), s.Locked())
		}
		// The last waiter granted then cancelled gives the permit back.
		s.Release()
		t3.Cancel("")
		wantCancelled(t, "t3", errOf(ctx, t3))
		if s.Locked() || !s.TryAcquire() || s.TryAcquire() {
			return errors.New("the permit did not come back")
		}
		return nil
	})
}

// TestSemaphoreNewcomerQueues: right after Release, Locked is true while
// waiters exist, and a newcomer goes last.
func TestSemaphoreNewcomerQueues(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		s := newSem(t, 0)
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				tr.add("%s", name)
				return nil
			}
		}
		w0, w1 := spawn(ctx, "0", body("0")), spawn(ctx, "1", body("1"))
		yield(ctx, 1)
		s.Release()
		s.Release()
		if !s.Locked() {
			return errors.New("Locked false right after Release with waiters")
		}
		nw := spawn(ctx, "new", body("new"))
		s.Release()
		return errors.Join(errOf(ctx, w0), errOf(ctx, w1), errOf(ctx, nw))
	})
	tr.want(t, "0 1 new")
}

func TestSemaphoreGoroutineFIFO(t *testing.T) {
	s := newSem(t, 0)
	var tr trace
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			tr.add("g%d", i)
			s.Release()
		}()
		waitUntil(t, "goroutine parked", func() bool { return duet.SemaphoreWaiters(s) == i+1 })
	}
	s.Release()
	wg.Wait()
	tr.want(t, "g0 g1 g2 g3 g4")
	if !s.TryAcquire() || s.TryAcquire() {
		t.Fatal("permit count changed")
	}
}

func TestSemaphoreGoroutineCtx(t *testing.T) {
	s := newSem(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if err := s.Acquire(ctx); !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if duet.SemaphoreWaiters(s) != 0 {
		t.Fatal("waiter left")
	}
	s.Release()
	if !s.TryAcquire() {
		t.Fatal("permit lost")
	}
}

// TestSemaphoreMixedBound: tasks of two loops and goroutines share a
// semaphore of 3 permits, some with deadlines; never more than 3 inside,
// and every permit comes back.
func TestSemaphoreMixedBound(t *testing.T) {
	const permits = 3
	s := newSem(t, permits)
	var inside, maxInside, total atomic.Int64
	critical := func(ctx context.Context) error {
		if err := s.Acquire(ctx); err != nil {
			return err
		}
		n := inside.Add(1)
		for {
			m := maxInside.Load()
			if n <= m || maxInside.CompareAndSwap(m, n) {
				break
			}
		}
		total.Add(1)
		duet.Sleep(ctx, 0)
		runtime.Gosched()
		inside.Add(-1)
		s.Release()
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				var ts []*aio.Task[struct{}]
				for range 4 {
					ts = append(ts, spawn(ctx, "w", func(ctx context.Context) error {
						for range 200 {
							if err := critical(ctx); err != nil {
								return err
							}
						}
						return nil
					}))
				}
				var err error
				for _, tk := range ts {
					err = errors.Join(err, errOf(ctx, tk))
				}
				return err
			})
		}()
	}
	var timedOut atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if (g+i)%4 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Microsecond)
				}
				err := critical(ctx)
				cancel()
				if err != nil {
					if !errors.Is(err, duet.ErrCancelled) && !errors.Is(err, duet.ErrTimeout) {
						errs <- err
						return
					}
					timedOut.Add(1)
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
	if maxInside.Load() > permits {
		t.Fatalf("%d holders at once, limit %d", maxInside.Load(), permits)
	}
	if want := int64(2*4*200+4*200) - timedOut.Load(); total.Load() != want {
		t.Fatalf("total %d, want %d", total.Load(), want)
	}
	for range permits {
		if !s.TryAcquire() {
			t.Fatal("a permit was lost")
		}
	}
	if s.TryAcquire() || duet.SemaphoreWaiters(s) != 0 {
		t.Fatal("a permit was created or a waiter left")
	}
}
