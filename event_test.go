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

func TestEventZeroValue(t *testing.T) {
	var e duet.Event
	if e.IsSet() {
		t.Fatal("zero Event is set")
	}
	e.Set()
	e.Set()
	if !e.IsSet() {
		t.Fatal("Set did not set")
	}
	// A set event returns at once, even for a context that is done.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Wait(done); err != nil {
		t.Fatal(err)
	}
	e.Clear()
	if e.IsSet() {
		t.Fatal("Clear did not clear")
	}
	if err := e.Wait(nil); err == nil { //nolint:staticcheck // deliberately bad input
		t.Fatal("Wait(nil) on a clear event succeeded")
	}
}

// TestEventSetThenClear: Set wakes every current waiter, and they return
// nil even though Clear ran before they resumed (asyncio).
func TestEventSetThenClear(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var e duet.Event
		var ts []*aio.Task[struct{}]
		for _, name := range []string{"A", "B", "C"} {
			ts = append(ts, spawn(ctx, name, func(ctx context.Context) error {
				if err := e.Wait(ctx); err != nil {
					return err
				}
				tr.add("%s", name)
				return nil
			}))
		}
		yield(ctx, 1)
		if n := duet.EventWaiters(&e); n != 3 {
			return fmt.Errorf("waiters = %d", n)
		}
		e.Set()
		e.Clear()
		late := spawn(ctx, "late", func(ctx context.Context) error { return e.Wait(ctx) })
		for _, tk := range ts {
			if err := errOf(ctx, tk); err != nil {
				return err
			}
		}
		yield(ctx, 2)
		if late.IsDone() {
			return errors.New("a waiter that came after Clear returned")
		}
		late.Cancel("")
		wantCancelled(t, "late", errOf(ctx, late))
		if n := duet.EventWaiters(&e); n != 0 {
			return fmt.Errorf("%d waiters left", n)
		}
		return nil
	})
	tr.want(t, "A B C")
}

func TestEventCancel(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var e duet.Event
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := e.Wait(ctx); err != nil {
					tr.add("%s:cancelled", name)
					return err
				}
				tr.add("%s", name)
				return nil
			}
		}
		a, b, c := spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B")), spawn(ctx, "C", body("C"))
		yield(ctx, 1)
		a.Cancel("") // before Set
		yield(ctx, 1)
		e.Set()
		b.Cancel("") // woken, not yet run: asyncio delivers the cancellation
		wantCancelled(t, "A", errOf(ctx, a))
		wantCancelled(t, "B", errOf(ctx, b))
		return errOf(ctx, c)
	})
	tr.want(t, "A:cancelled B:cancelled C")
}

func TestEventGoroutines(t *testing.T) {
	var e duet.Event
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- e.Wait(context.Background()) }()
	}
	waitUntil(t, "goroutines parked", func() bool { return duet.EventWaiters(&e) == 10 })
	e.Set()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	e.Clear()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if err := e.Wait(ctx); !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if n := duet.EventWaiters(&e); n != 0 {
		t.Fatalf("%d waiters left", n)
	}
}

// TestEventMixed: a goroutine sets an event that tasks of two loops and
// goroutines wait for.
func TestEventMixed(t *testing.T) {
	var e duet.Event
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				a := spawn(ctx, "a", e.Wait)
				b := spawn(ctx, "b", e.Wait)
				return errors.Join(errOf(ctx, a), errOf(ctx, b))
			})
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- e.Wait(context.Background()) }()
	}
	waitUntil(t, "all parked", func() bool { return duet.EventWaiters(&e) == 6 })
	e.Set()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
