package duet_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// vals returns the values of done awaitables, in order.
func vals(aws []duet.Awaitable[int]) []int {
	var out []int
	for _, a := range aws {
		v, _ := a.Future().Result()
		out = append(out, v)
	}
	return out
}

func failAfter(d time.Duration, err error) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if e := duet.Sleep(ctx, d); e != nil {
			return 0, e
		}
		return 0, err
	}
}

// The Python twin of each step is in the comments (CPython 3.11).
func TestWaitModes(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		a := aio.Spawn(ctx, sleeper(time.Second, 1))
		b := aio.Spawn(ctx, sleeper(2*time.Second, 2))
		c := aio.Spawn(ctx, sleeper(3*time.Second, 3))
		// wait([a,b,c], FIRST_COMPLETED) -> done {1}, 2 pending, at 1 s
		done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{a, b, c}, duet.FirstCompleted, duet.NoTimeout)
		if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](a) || len(pending) != 2 || vnow(ctx) != time.Second {
			t.Errorf("FirstCompleted: %v %v %v at %v", vals(done), len(pending), err, vnow(ctx))
		}
		if pending[0] != duet.Awaitable[int](b) || pending[1] != duet.Awaitable[int](c) {
			t.Error("pending not in argument order")
		}
		// wait([b,c,f], FIRST_EXCEPTION) with f failing at 1.5 s -> done {f}
		boom := errors.New("boom")
		f := aio.Spawn(ctx, failAfter(500*time.Millisecond, boom))
		done, pending, err = duet.Wait(ctx, []duet.Awaitable[int]{b, c, f}, duet.FirstException, duet.NoTimeout)
		if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](f) || len(pending) != 2 {
			t.Errorf("FirstException: %d done, %d pending, %v", len(done), len(pending), err)
		}
		// no failure: falls back to all
		done, pending, err = duet.Wait(ctx, []duet.Awaitable[int]{b, c}, duet.FirstException, duet.NoTimeout)
		if err != nil || len(done) != 2 || len(pending) != 0 || vnow(ctx) != 3*time.Second {
			t.Errorf("FirstException fallback: %d done, %d pending, %v at %v", len(done), len(pending), err, vnow(ctx))
		}
		// AllCompleted (the zero mode), duplicates reported once
		d := aio.Spawn(ctx, sleeper(time.Second, 4))
		done, pending, err = duet.Wait(ctx, []duet.Awaitable[int]{d, a, d}, 0, duet.NoTimeout)
		if err != nil || len(done) != 2 || len(pending) != 0 || done[0] != duet.Awaitable[int](d) {
			t.Errorf("AllCompleted: %v %d %v", vals(done), len(pending), err)
		}
		return nil
	})
}

// Python: wait([d], timeout=1) -> 0 done, 1 pending, d not cancelled.
func TestWaitTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		d := aio.Spawn(ctx, sleeper(10*time.Second, 4))
		done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{d}, duet.AllCompleted, time.Second)
		if err != nil || len(done) != 0 || len(pending) != 1 || d.IsDone() || vnow(ctx) != time.Second {
			t.Errorf("got %d done, %d pending, %v at %v", len(done), len(pending), err, vnow(ctx))
		}
		// Completion before the timeout: the timer is disarmed.
		e := aio.Spawn(ctx, sleeper(time.Second, 5))
		done, _, err = duet.Wait(ctx, []duet.Awaitable[int]{e}, duet.AllCompleted, time.Hour)
		if err != nil || len(done) != 1 || vnow(ctx) != 2*time.Second {
			t.Errorf("in time: %d done, %v at %v", len(done), err, vnow(ctx))
		}
		_, err = duet.Await(ctx, d)
		return err
	})
}

// Python: "t0 before t1 t2 after t3": wait on done tasks still yields.
func TestWaitAlreadyDoneYields(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k gatherKit
		f := duet.NewFuture[int]()
		f.SetResult(1)
		tk := aio.Spawn(ctx, k.ticker(4))
		duet.Sleep(ctx, 0)
		k.log.add("before")
		done, _, err := duet.Wait(ctx, []duet.Awaitable[int]{f}, duet.AllCompleted, duet.NoTimeout)
		k.log.add("after")
		duet.Await(ctx, tk)
		k.log.want(t, "t0 before t1 t2 after t3")
		if err != nil || len(done) != 1 {
			t.Errorf("%d done, %v", len(done), err)
		}
		return nil
	})
}

// Python: cancelling the waiting task leaves the awaitables alone
// ("wait cancelled False False"); a cancelled child counts as completed but
// not as an exception.
func TestWaitCancelAndCancelledChild(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		e := aio.Spawn(ctx, sleeper(10*time.Second, 5))
		w := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			_, _, err := duet.Wait(ctx, []duet.Awaitable[int]{e}, duet.AllCompleted, duet.NoTimeout)
			return 0, err
		})
		duet.Sleep(ctx, time.Second)
		w.Cancel("")
		_, err := duet.Await(ctx, w)
		if !isCancel(err) || e.IsDone() {
			t.Errorf("got %v, child done %v", err, e.IsDone())
		}
		e.Cancel("")
		// FIRST_EXCEPTION with a child cancelled at 1 s and one failing
		// later, timeout 2 s: the cancelled child is done, the other pending.
		g := aio.Spawn(ctx, sleeper(10*time.Second, 6))
		aio.LoopOf(ctx).CallLater(time.Second, func() { g.Cancel("") })
		h := aio.Spawn(ctx, failAfter(10*time.Second, errors.New("h")))
		done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{g, h}, duet.FirstException, 2*time.Second)
		if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](g) || len(pending) != 1 {
			t.Errorf("cancelled child: %d done, %d pending, %v", len(done), len(pending), err)
		}
		h.Cancel("")
		return nil
	})
}

func TestWaitBadInput(t *testing.T) {
	ctx := context.Background()
	_, _, err := duet.Wait[int](ctx, nil, duet.AllCompleted, duet.NoTimeout)
	if err == nil || !strings.Contains(err.Error(), "at least one") {
		t.Errorf("empty: %v", err)
	}
	f := duet.NewFuture[int]()
	_, _, err = duet.Wait(ctx, []duet.Awaitable[int]{f, nil}, duet.AllCompleted, duet.NoTimeout)
	if !errors.Is(err, duet.ErrNilAwaitable) {
		t.Errorf("nil: %v", err)
	}
	_, _, err = duet.Wait(ctx, []duet.Awaitable[int]{f}, duet.WaitMode(7), duet.NoTimeout)
	if err == nil || !strings.Contains(err.Error(), "WaitMode(7)") {
		t.Errorf("bad mode: %v", err)
	}
	if s := duet.FirstException.String(); s != "FirstException" {
		t.Errorf("String() = %q", s)
	}
	if duet.FutureWaiters(f) != 0 {
		t.Error("bad input left a subscription")
	}
}

func TestWaitGoroutine(t *testing.T) {
	ctx := context.Background()
	f1, f2 := duet.NewFuture[int](), duet.NewFuture[int]()
	go f2.SetResult(2)
	done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{f1, f2}, duet.FirstCompleted, duet.NoTimeout)
	if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](f2) || len(pending) != 1 {
		t.Fatalf("FirstCompleted: %d done, %d pending, %v", len(done), len(pending), err)
	}
	// Timeout on the wall clock; nothing is cancelled.
	done, pending, err = duet.Wait(ctx, []duet.Awaitable[int]{f1, f2}, duet.AllCompleted, time.Millisecond)
	if err != nil || len(done) != 1 || len(pending) != 1 || f1.IsDone() {
		t.Fatalf("timeout: %d done, %d pending, %v", len(done), len(pending), err)
	}
	if duet.FutureWaiters(f1) != 0 {
		t.Fatal("Wait left a subscription on a pending future")
	}
	// ctx done.
	cctx, cancel := context.WithCancel(ctx)
	go cancel()
	_, _, err = duet.Wait(cctx, []duet.Awaitable[int]{f1}, duet.AllCompleted, duet.NoTimeout)
	if !isCancel(err) || f1.IsDone() {
		t.Fatalf("cancelled: %v", err)
	}
	// Already satisfied: returns without blocking.
	f1.SetError(errors.New("x"))
	done, _, err = duet.Wait(ctx, []duet.Awaitable[int]{f1, f2}, duet.FirstException, duet.NoTimeout)
	if err != nil || len(done) != 2 {
		t.Fatalf("done: %d, %v", len(done), err)
	}
}

// ---- AsCompleted ----

func TestAsCompletedOrder(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		done := duet.NewFuture[int]()
		done.SetResult(0)
		c := aio.Spawn(ctx, sleeper(3*time.Second, 3))
		a := aio.Spawn(ctx, sleeper(time.Second, 1))
		b := aio.Spawn(ctx, failAfter(2*time.Second, errors.New("b")))
		done2 := duet.NewFuture[int]()
		done2.SetResult(4)
		var log tlog
		for aw, err := range duet.AsCompleted[int](ctx, c, done, a, b, a, done2) {
			if err != nil {
				return err
			}
			v, err := duet.Await(ctx, aw)
			log.add("%d/%v@%v", v, err, vnow(ctx))
		}
		log.want(t, "0/<nil>@0s 4/<nil>@0s 1/<nil>@1s 0/b@2s 3/<nil>@3s")
		// The first step yields to the loop, even for done awaitables,
		// as asyncio.as_completed does.
		other := aio.Spawn(ctx, func(context.Context) (int, error) { return 0, nil })
		for range duet.AsCompleted[int](ctx, done) {
			if !other.IsDone() {
				t.Error("AsCompleted did not yield before its first step")
			}
		}
		return nil
	})
}

// Breaking out of the loop leaves nothing registered.
func TestAsCompletedBreak(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		f := duet.NewFuture[int]()
		a := aio.Spawn(ctx, sleeper(time.Second, 1))
		b := aio.Spawn(ctx, sleeper(2*time.Second, 2))
		n := 0
		for aw, err := range duet.AsCompleted[int](ctx, f, a, b) {
			if err != nil || aw != duet.Awaitable[int](a) {
				t.Fatalf("got %v, %v", aw, err)
			}
			n++
			break
		}
		if n != 1 || duet.FutureWaiters(f) != 0 || duet.FutureWaiters(b.Future()) != 0 {
			t.Errorf("after break: %d waiters on f, %d on b", duet.FutureWaiters(f), duet.FutureWaiters(b.Future()))
		}
		// A completion posted to the loop after the break is ignored.
		f.SetResult(9)
		duet.Sleep(ctx, 0)
		_, err := duet.Await(ctx, b)
		return err
	})
}

// The deadline comes from a timeout scope: the waiting task is cancelled,
// the iteration yields the error once, WithTimeout turns it into a timeout;
// the unfinished awaitables are not cancelled.
func TestAsCompletedTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		a := aio.Spawn(ctx, sleeper(time.Second, 1))
		b := aio.Spawn(ctx, sleeper(10*time.Second, 2))
		c := aio.Spawn(ctx, sleeper(20*time.Second, 3))
		var got []int
		var iterErr error
		err := duet.WithTimeout(ctx, 5*time.Second, func(ctx context.Context) error {
			for aw, err := range duet.AsCompleted[int](ctx, a, b, c) {
				if err != nil {
					iterErr = err
					return err
				}
				v, _ := aw.Future().Result()
				got = append(got, v)
			}
			return nil
		})
		if !isTimeout(err) || len(got) != 1 || got[0] != 1 || vnow(ctx) != 5*time.Second {
			t.Errorf("got %v, %v at %v", got, err, vnow(ctx))
		}
		if !isCancel(iterErr) || !strings.Contains(iterErr.Error(), "2 (of 3) awaitables unfinished") {
			t.Errorf("iteration error: %v", iterErr)
		}
		if b.IsDone() || c.IsDone() {
			t.Error("AsCompleted cancelled the unfinished awaitables")
		}
		if duet.FutureWaiters(b.Future()) != 0 {
			t.Error("subscription left after the error")
		}
		b.Cancel("")
		c.Cancel("")
		return nil
	})
}

func TestAsCompletedEdgeCases(t *testing.T) {
	n := 0
	for range duet.AsCompleted[int](context.Background()) {
		n++
	}
	if n != 0 {
		t.Error("no awaitables yielded something")
	}
	var gotErr error
	for aw, err := range duet.AsCompleted[int](context.Background(), duet.NewFuture[int](), nil) {
		if aw != nil || gotErr != nil {
			t.Fatal("iteration went on after the bad-input error")
		}
		gotErr = err
	}
	if !errors.Is(gotErr, duet.ErrNilAwaitable) {
		t.Errorf("nil: %v", gotErr)
	}
	// A sequence can be ranged over again.
	f := duet.NewFuture[int]()
	f.SetResult(1)
	seq := duet.AsCompleted[int](context.Background(), f)
	for range 2 {
		n = 0
		for range seq {
			n++
		}
		if n != 1 {
			t.Errorf("second range yielded %d", n)
		}
	}
}

func TestAsCompletedGoroutine(t *testing.T) {
	f1, f2, f3 := duet.NewFuture[int](), duet.NewFuture[int](), duet.NewFuture[int]()
	f2.SetResult(2)
	go func() {
		// Complete f3 once the iteration is blocked on it.
		for duet.FutureWaiters(f3) == 0 {
			time.Sleep(10 * time.Microsecond)
		}
		f3.SetResult(3)
	}()
	var got []int
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	for aw, err := range duet.AsCompleted[int](ctx, f1, f2, f3) {
		if err != nil {
			last = err
			break
		}
		v, _ := aw.Future().Result()
		got = append(got, v)
		if v == 3 {
			cancel()
		}
	}
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("got %v", got)
	}
	if !isCancel(last) || !strings.Contains(last.Error(), "1 (of 3)") {
		t.Fatalf("last: %v", last)
	}
	if duet.FutureWaiters(f1) != 0 || f1.IsDone() {
		t.Fatal("f1 touched")
	}
	// A context deadline reads as a timeout.
	dctx, dcancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer dcancel()
	for _, err := range duet.AsCompleted[int](dctx, f1) {
		if !isTimeout(err) {
			t.Fatalf("deadline: %v", err)
		}
	}
}

// On a goroutine the awaitables already done come first, in argument
// order, even when another goroutine completes a later one while the
// iteration is still starting (its subscription made, the done ones not
// yet yielded): that completion used to overtake them.
func TestAsCompletedGoroutineDoneFirst(t *testing.T) {
	fs := []*duet.Future[int]{duet.NewFuture[int](), duet.NewFuture[int](), duet.NewFuture[int](), duet.NewFuture[int]()}
	fs[1].SetResult(1)
	fs[2].SetResult(2)
	duet.SetWatcherSubscribedHook(func() {
		done := make(chan struct{})
		go func() { fs[3].SetResult(3); close(done) }() // another goroutine, in the gap
		<-done
	})
	defer duet.SetWatcherSubscribedHook(nil)
	var got []int
	aws := []duet.Awaitable[int]{fs[0], fs[1], fs[2], fs[3]}
	for aw, err := range duet.AsCompleted(context.Background(), aws...) {
		if err != nil {
			t.Fatal(err)
		}
		v, _ := aw.Future().Result()
		got = append(got, v)
		if len(got) == 3 {
			break
		}
	}
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("got %v, want the done ones first: [1 2 3]", got)
	}
}
