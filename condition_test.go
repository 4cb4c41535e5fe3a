package duet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func TestConditionNeedsLock(t *testing.T) {
	var c duet.Condition
	ctx := context.Background()
	for name, err := range map[string]error{
		"Wait":      c.Wait(ctx),
		"Notify":    c.Notify(1),
		"NotifyAll": c.NotifyAll(),
	} {
		if !errors.Is(err, duet.ErrInvalidState) {
			t.Errorf("%s without the lock: %v", name, err)
		}
	}
	if _, err := c.WaitFor(ctx, func() bool { return false }); !errors.Is(err, duet.ErrInvalidState) {
		t.Errorf("WaitFor without the lock: %v", err)
	}
	c.Acquire(ctx)
	if _, err := c.WaitFor(ctx, nil); err == nil {
		t.Error("WaitFor(nil) succeeded")
	}
	if err := c.Wait(nil); err == nil { //nolint:staticcheck // deliberately bad input
		t.Error("Wait(nil) succeeded")
	}
	if ok, err := c.WaitFor(ctx, func() bool { return true }); !ok || err != nil {
		t.Errorf("WaitFor(true) = %v, %v", ok, err)
	}
	if !c.Locked() {
		t.Error("lock lost")
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if duet.ConditionWaiters(&c) != 0 {
		t.Fatal("waiters left")
	}
}

func TestConditionSharedLock(t *testing.T) {
	var l duet.Lock
	c := duet.NewCondition(&l)
	l.Acquire(context.Background())
	if !c.Locked() || c.TryAcquire() {
		t.Fatal("condition does not use the given lock")
	}
	if err := c.Notify(1); err != nil {
		t.Fatal(err)
	}
	c.Release()
	if l.Locked() {
		t.Fatal("Release did not release the shared lock")
	}
	if c2 := duet.NewCondition(nil); c2.Locked() {
		t.Fatal("NewCondition(nil) locked")
	}
}

// TestConditionNotifyOrder: Notify(n) wakes the n oldest waiters; the
// others stay until NotifyAll.
func TestConditionNotifyOrder(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var c duet.Condition
		var ts []*aio.Task[struct{}]
		for _, name := range []string{"A", "B", "C", "D"} {
			ts = append(ts, spawn(ctx, name, func(ctx context.Context) error {
				c.Acquire(ctx)
				defer c.Release()
				if err := c.Wait(ctx); err != nil {
					return err
				}
				if !c.Locked() {
					return errors.New("Wait returned without the lock")
				}
				tr.add("%s", name)
				return nil
			}))
		}
		yield(ctx, 1)
		if n := duet.ConditionWaiters(&c); n != 4 {
			return fmt.Errorf("waiters = %d", n)
		}
		c.Acquire(ctx)
		c.Notify(2)
		c.Release()
		yield(ctx, 5)
		tr.add("|")
		if n := duet.ConditionWaiters(&c); n != 2 {
			return fmt.Errorf("waiters after Notify(2) = %d", n)
		}
		c.Acquire(ctx)
		c.NotifyAll()
		c.Release()
		for _, tk := range ts {
			if err := errOf(ctx, tk); err != nil {
				return err
			}
		}
		return nil
	})
	tr.want(t, "A B | C D")
}

// TestConditionCancelReacquires: a cancelled Wait re-acquires the lock
// before returning, even when cancelled again while re-acquiring.
func TestConditionCancelReacquires(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		var c duet.Condition
		held := false
		w := spawn(ctx, "w", func(ctx context.Context) error {
			c.Acquire(ctx)
			err := c.Wait(ctx)
			held = c.Locked()
			c.Release()
			return err
		})
		yield(ctx, 1)
		c.Acquire(ctx) // the waiter will have to wait for the lock
		w.Cancel("first")
		yield(ctx, 3)
		if w.IsDone() {
			return errors.New("Wait returned without the lock")
		}
		w.Cancel("second") // while it re-acquires
		yield(ctx, 3)
		if w.IsDone() {
			return errors.New("a cancel during re-acquisition ended Wait")
		}
		c.Release()
		wantCancelled(t, "Wait", errOf(ctx, w))
		if !held {
			return errors.New("cancelled Wait returned without the lock")
		}
		if c.Locked() || duet.ConditionWaiters(&c) != 0 {
			return errors.New("condition not left clean")
		}
		return nil
	})
}

// consumerState is the CPython gh-112202 scenario: consumers take items
// counted by state; state < 0 tells them to stop.
type consumerState struct {
	c     duet.Condition
	state int
}

func (s *consumerState) consumer(ctx context.Context) error {
	s.c.Acquire(ctx)
	defer s.c.Release()
	for {
		if _, err := s.c.WaitFor(ctx, func() bool { return s.state != 0 }); err != nil {
			return err
		}
		if s.state < 0 {
			return nil
		}
		s.state--
	}
}

// TestConditionCancelledWakeup is CPython's test_cancelled_wakeup
// (gh-112202): the notified consumer is cancelled before it runs; the
// notification must reach the other consumer.
func TestConditionCancelledWakeup(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		s := &consumerState{}
		c0, c1 := spawn(ctx, "c0", s.consumer), spawn(ctx, "c1", s.consumer)
		yield(ctx, 1)
		s.c.Acquire(ctx)
		s.state++
		s.c.Notify(1)
		c0.Cancel("") // while it waits to run
		s.c.Release()
		return s.checkNotLost(ctx, t, c0, c1)
	})
}

// checkNotLost lets the consumers run, then checks that c0 ended cancelled
// and that the notification it was given reached c1 (state back to 0), and
// stops c1.
func (s *consumerState) checkNotLost(ctx context.Context, t *testing.T, c0, c1 *aio.Task[struct{}]) error {
	yield(ctx, 10)
	s.c.Acquire(ctx)
	left := s.state
	s.state = -1
	s.c.NotifyAll()
	s.c.Release()
	wantCancelled(t, "c0", errOf(ctx, c0))
	if err := errOf(ctx, c1); err != nil {
		return err
	}
	if left != 0 {
		return fmt.Errorf("state = %d: the notification was lost", left)
	}
	return nil
}

// TestConditionCancelledWakeupRelock is CPython's
// test_cancelled_wakeup_relock: the notified consumer is cancelled while it
// re-acquires the lock.
func TestConditionCancelledWakeupRelock(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		s := &consumerState{}
		c0, c1 := spawn(ctx, "c0", s.consumer), spawn(ctx, "c1", s.consumer)
		yield(ctx, 1)
		s.c.Acquire(ctx)
		s.state++
		s.c.Notify(1)
		yield(ctx, 1) // c0 runs and queues for the lock
		c0.Cancel("")
		s.c.Release()
		return s.checkNotLost(ctx, t, c0, c1)
	})
}

// TestConditionNoSpuriousForward: a waiter cancelled before it was
// notified forwards nothing.
func TestConditionNoSpuriousForward(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var c duet.Condition
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				c.Acquire(ctx)
				defer c.Release()
				err := c.Wait(ctx)
				tr.add("%s:%v", name, err == nil)
				return err
			}
		}
		a, b := spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B"))
		yield(ctx, 1)
		a.Cancel("")
		yield(ctx, 5)
		if b.IsDone() {
			return errors.New("B woke without a notification")
		}
		c.Acquire(ctx)
		c.Notify(1)
		c.Release()
		wantCancelled(t, "A", errOf(ctx, a))
		return errOf(ctx, b)
	})
	tr.want(t, "A:false B:true")
}

func TestConditionGoroutineDeadline(t *testing.T) {
	var c duet.Condition
	c.Acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	err := c.Wait(ctx)
	if !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if !c.Locked() {
		t.Fatal("Wait returned without the lock")
	}
	if duet.ConditionWaiters(&c) != 0 {
		t.Fatal("waiter left")
	}
	ok, err := c.WaitFor(ctx, func() bool { return false })
	if ok || !errors.Is(err, duet.ErrTimeout) || !c.Locked() {
		t.Fatalf("WaitFor with a done ctx = %v, %v", ok, err)
	}
	c.Release()
}

// TestConditionMixed: a bounded buffer guarded by one Condition, with
// producers and consumers among goroutines and the tasks of two loops.
func TestConditionMixed(t *testing.T) {
	var c duet.Condition
	var buf []int
	const capacity, perProducer, producers = 3, 300, 3
	sum := 0
	produce := func(ctx context.Context, base int) error {
		for i := range perProducer {
			c.Acquire(ctx)
			if _, err := c.WaitFor(ctx, func() bool { return len(buf) < capacity }); err != nil {
				c.Release()
				return err
			}
			buf = append(buf, base+i)
			c.NotifyAll()
			c.Release()
		}
		return nil
	}
	consume := func(ctx context.Context, n int) error {
		for range n {
			c.Acquire(ctx)
			if _, err := c.WaitFor(ctx, func() bool { return len(buf) > 0 }); err != nil {
				c.Release()
				return err
			}
			sum += buf[0]
			buf = buf[1:]
			c.NotifyAll()
			c.Release()
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for l := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				p := spawn(ctx, "p", func(ctx context.Context) error { return produce(ctx, l*perProducer) })
				k := spawn(ctx, "c", func(ctx context.Context) error { return consume(ctx, perProducer) })
				return errors.Join(errOf(ctx, p), errOf(ctx, k))
			})
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); errs <- produce(context.Background(), 2*perProducer) }()
	go func() { defer wg.Done(); errs <- consume(context.Background(), perProducer) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := producers * perProducer
	if want := n * (n - 1) / 2; sum != want {
		t.Fatalf("sum = %d, want %d", sum, want)
	}
	if c.Locked() || duet.ConditionWaiters(&c) != 0 {
		t.Fatal("condition not left clean")
	}
}
