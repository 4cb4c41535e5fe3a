package duet_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func newBarrier(t testing.TB, parties int, opts ...duet.BarrierOption) *duet.Barrier {
	t.Helper()
	b, err := duet.NewBarrier(parties, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBarrierBadInput(t *testing.T) {
	if b, err := duet.NewBarrier(0); b != nil || err == nil || !strings.Contains(err.Error(), ">= 1") {
		t.Fatalf("NewBarrier(0) = %v, %v", b, err)
	}
	if _, err := duet.NewBarrier(2, nil); err == nil {
		t.Fatal("nil option accepted")
	}
	if _, err := duet.NewBarrier(2, duet.WithBarrierAction(nil)); err == nil {
		t.Fatal("nil action accepted")
	}
	var zero duet.Barrier
	if _, err := zero.Wait(context.Background()); err == nil {
		t.Fatal("zero Barrier Wait succeeded")
	}
	zero.Abort()
	zero.Reset()
	if zero.Broken() || zero.NWaiting() != 0 || zero.Parties() != 0 {
		t.Fatal("zero Barrier state")
	}
	b := newBarrier(t, 2)
	if _, err := b.Wait(nil); err == nil { //nolint:staticcheck // deliberately bad input
		t.Fatal("Wait(nil) succeeded")
	}
	if b.NWaiting() != 0 {
		t.Fatal("Wait(nil) joined the round")
	}
}

func TestBarrierOneParty(t *testing.T) {
	b := newBarrier(t, 1)
	for range 3 {
		if i, err := b.Wait(context.Background()); i != 0 || err != nil {
			t.Fatalf("Wait = %d, %v", i, err)
		}
	}
}

// TestBarrierTasks: indices follow arrival order, the barrier is reusable,
// and the action runs once per round, in the last party, before the release.
func TestBarrierTasks(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		round := 0
		b := newBarrier(t, 3, duet.WithBarrierAction(func(ctx context.Context) error {
			round++
			tr.add("action%d", round)
			return duet.Sleep(ctx, time.Second) // the action may wait
		}))
		var ts []*aio.Task[struct{}]
		for _, name := range []string{"A", "B", "C"} {
			ts = append(ts, spawn(ctx, name, func(ctx context.Context) error {
				for range 2 {
					i, err := b.Wait(ctx)
					if err != nil {
						return err
					}
					tr.add("%s%d", name, i)
					duet.Sleep(ctx, 0)
				}
				return nil
			}))
			yield(ctx, 1) // arrival order A, B, C
		}
		var err error
		for _, tk := range ts {
			err = errors.Join(err, errOf(ctx, tk))
		}
		if b.NWaiting() != 0 || b.Broken() {
			return errors.New("barrier not left clean")
		}
		return err
	})
	// C completes round 1 and returns at once; A and B resume in the next
	// iteration, so in round 2 C arrives first and B last.
	tr.want(t, "action1 C2 A0 B1 action2 B2 C0 A1")
}

func TestBarrierActionFails(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		fail := true
		b := newBarrier(t, 2, duet.WithBarrierAction(func(context.Context) error {
			if fail {
				return boom
			}
			return nil
		}))
		w := spawn(ctx, "w", func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != -1 || !errors.Is(err, boom) {
			return fmt.Errorf("last party: %d, %v; want the action's error", i, err)
		}
		if err := errOf(ctx, w); !errors.Is(err, duet.ErrBrokenBarrier) || !strings.Contains(err.Error(), "action") {
			return fmt.Errorf("other party: %v", err)
		}
		if !b.Broken() {
			return errors.New("not broken")
		}
		if _, err := b.Wait(ctx); !errors.Is(err, duet.ErrBrokenBarrier) {
			return fmt.Errorf("Wait on a broken barrier: %v", err)
		}
		b.Reset()
		fail = false
		w = spawn(ctx, "w", func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
		if _, err := b.Wait(ctx); err != nil {
			return err
		}
		return errOf(ctx, w)
	})
}

func TestBarrierActionPanics(t *testing.T) {
	b := newBarrier(t, 1, duet.WithBarrierAction(func(context.Context) error { panic("oops") }))
	_, err := b.Wait(context.Background())
	var pe *duet.PanicError
	if !errors.As(err, &pe) || pe.Value != "oops" || !b.Broken() {
		t.Fatalf("got %v, broken=%v", err, b.Broken())
	}
}

func TestBarrierAbortAndReset(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		wait := func(ctx context.Context) error { _, err := b.Wait(ctx); return err }
		a1, a2 := spawn(ctx, "a1", wait), spawn(ctx, "a2", wait)
		yield(ctx, 1)
		if b.NWaiting() != 2 {
			return fmt.Errorf("NWaiting = %d", b.NWaiting())
		}
		b.Abort()
		for _, tk := range []*aio.Task[struct{}]{a1, a2} {
			if err := errOf(ctx, tk); !errors.Is(err, duet.ErrBrokenBarrier) || !strings.Contains(err.Error(), "Abort") {
				return fmt.Errorf("aborted waiter: %v", err)
			}
		}
		if !b.Broken() || b.NWaiting() != 0 {
			return errors.New("Abort did not break the barrier")
		}
		if _, err := b.Wait(ctx); !errors.Is(err, duet.ErrBrokenBarrier) {
			return fmt.Errorf("Wait after Abort: %v", err)
		}
		b.Reset()
		if b.Broken() {
			return errors.New("Reset did not repair the barrier")
		}
		r1, r2 := spawn(ctx, "r1", wait), spawn(ctx, "r2", wait)
		yield(ctx, 1)
		b.Reset() // the waiting parties are broken out, the barrier stays usable
		for _, tk := range []*aio.Task[struct{}]{r1, r2} {
			if err := errOf(ctx, tk); !errors.Is(err, duet.ErrBrokenBarrier) || !strings.Contains(err.Error(), "Reset") {
				return fmt.Errorf("reset waiter: %v", err)
			}
		}
		if b.Broken() || b.NWaiting() != 0 {
			return errors.New("Reset broke the barrier")
		}
		ts := []*aio.Task[struct{}]{spawn(ctx, "x", wait), spawn(ctx, "y", wait), spawn(ctx, "z", wait)}
		var err error
		for _, tk := range ts {
			err = errors.Join(err, errOf(ctx, tk))
		}
		return err
	})
}

// TestBarrierTaskCancelWithdraws: a cancelled task leaves the round as in
// asyncio, without breaking the barrier, and indices stay unique.
func TestBarrierTaskCancelWithdraws(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		var mu sync.Mutex
		var got []int
		wait := func(ctx context.Context) error {
			i, err := b.Wait(ctx)
			if err == nil {
				mu.Lock()
				got = append(got, i)
				mu.Unlock()
			}
			return err
		}
		a := spawn(ctx, "A", wait)
		yield(ctx, 1)
		bt := spawn(ctx, "B", wait)
		yield(ctx, 1)
		a.Cancel("")
		wantCancelled(t, "A", errOf(ctx, a))
		if b.Broken() || b.NWaiting() != 1 {
			return fmt.Errorf("after withdrawal: broken=%v n_waiting=%d", b.Broken(), b.NWaiting())
		}
		c, d := spawn(ctx, "C", wait), spawn(ctx, "D", wait)
		if err := errors.Join(errOf(ctx, bt), errOf(ctx, c), errOf(ctx, d)); err != nil {
			return err
		}
		sort.Ints(got)
		if !slices.Equal(got, []int{0, 1, 2}) {
			return fmt.Errorf("indices %v, want 0 1 2", got)
		}
		return nil
	})
}

// TestBarrierReleasedThenCancelled: a task whose round was released but
// that is cancelled before it runs gets the cancellation (asyncio); the
// others are released normally.
func TestBarrierReleasedThenCancelled(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 2)
		x := spawn(ctx, "X", func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != 1 || err != nil {
			return fmt.Errorf("last party: %d, %v", i, err)
		}
		x.Cancel("")
		wantCancelled(t, "X", errOf(ctx, x))
		if b.Broken() || b.NWaiting() != 0 {
			return errors.New("barrier not clean")
		}
		return nil
	})
}

// TestBarrierGoroutineDeadlineBreaks: a goroutine whose ctx ends breaks
// the barrier for the others, like threading's timeout.
func TestBarrierGoroutineDeadlineBreaks(t *testing.T) {
	b := newBarrier(t, 3)
	other := make(chan error)
	go func() { _, err := b.Wait(context.Background()); other <- err }()
	waitUntil(t, "first party waiting", func() bool { return b.NWaiting() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if i, err := b.Wait(ctx); i != -1 || !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("timed-out party: %d, %v", i, err)
	}
	if err := <-other; !errors.Is(err, duet.ErrBrokenBarrier) {
		t.Fatalf("other party: %v", err)
	}
	if !b.Broken() {
		t.Fatal("barrier not broken")
	}
	b.Reset()
	var wg sync.WaitGroup
	var idx [3]atomic.Bool
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i, err := b.Wait(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			idx[i].Store(true)
		}()
	}
	wg.Wait()
	for i := range idx {
		if !idx[i].Load() {
			t.Fatalf("index %d missing", i)
		}
	}
}

// TestBarrierArrivalDuringAction: a party that arrives while a complete
// round runs its action waits and joins the next round.
func TestBarrierArrivalDuringAction(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		var b *duet.Barrier
		b = newBarrier(t, 2, duet.WithBarrierAction(func(ctx context.Context) error {
			tr.add("action")
			yield(ctx, 3)
			tr.add("entry=%d", duet.BarrierEntryWaiters(b))
			return nil
		}))
		wait := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				i, err := b.Wait(ctx)
				tr.add("%s%d", name, i)
				return err
			}
		}
		a := spawn(ctx, "A", wait("A"))
		yield(ctx, 1)
		bt := spawn(ctx, "B", wait("B")) // completes the round, runs the action
		c := spawn(ctx, "C", wait("C"))  // arrives during the action
		yield(ctx, 2)
		d := spawn(ctx, "D", wait("D")) // so does D, after C
		return errors.Join(errOf(ctx, a), errOf(ctx, bt), errOf(ctx, c), errOf(ctx, d))
	})
	// C and D wait for the action, then form round 2 in arrival order.
	tr.want(t, "action entry=2 B1 A0 action entry=0 D1 C0")
}

// TestBarrierMixed: tasks of two loops and goroutines meet at one barrier
// for several rounds; nobody starts round r+1 before everyone reached r.
func TestBarrierMixed(t *testing.T) {
	const parties, rounds = 6, 20
	var arrived [rounds]atomic.Int64
	var idxSeen [rounds][parties]atomic.Bool
	b := newBarrier(t, parties)
	party := func(ctx context.Context) error {
		for r := range rounds {
			arrived[r].Add(1)
			i, err := b.Wait(ctx)
			if err != nil {
				return err
			}
			if n := arrived[r].Load(); n != parties {
				return fmt.Errorf("round %d released with %d arrivals", r, n)
			}
			if idxSeen[r][i].Swap(true) {
				return fmt.Errorf("round %d: index %d given twice", r, i)
			}
			duet.Sleep(ctx, 0)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, parties)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				a, c := spawn(ctx, "a", party), spawn(ctx, "b", party)
				return errors.Join(errOf(ctx, a), errOf(ctx, c))
			})
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- party(context.Background()) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestBarrierDrainTasks: a released round drains before the next one
// fills, as asyncio's barrier (DRAINING) does: the party that released the
// round and calls Wait again waits until the others have left Wait, so each
// round is entered in the same order and NWaiting reads 0 while it drains.
// CPython 3.11 logs exactly this trace for the same program.
func TestBarrierDrainTasks(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 2)
		party := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				for range 3 {
					i, err := b.Wait(ctx)
					if err != nil {
						return err
					}
					tr.add("%s%d/%d", name, i, b.NWaiting())
				}
				return nil
			}
		}
		a := spawn(ctx, "A", party("A"))
		yield(ctx, 1)
		bt := spawn(ctx, "B", party("B"))
		return errors.Join(errOf(ctx, a), errOf(ctx, bt))
	})
	tr.want(t, "B1/0 A0/0 B1/0 A0/0 B1/0 A0/0")
}

// TestBarrierAbortWhileDraining: parties of a released round that have not
// left Wait yet when the barrier is aborted fail, as in asyncio and
// threading, whose waiters look at the barrier's state when they resume;
// the party that released the round has left and keeps its index.
func TestBarrierAbortWhileDraining(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		wait := func(ctx context.Context) error { _, err := b.Wait(ctx); return err }
		x, y := spawn(ctx, "X", wait), spawn(ctx, "Y", wait)
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != 2 || err != nil {
			return fmt.Errorf("last party: %d, %v", i, err)
		}
		b.Abort()
		for _, tk := range []*aio.Task[struct{}]{x, y} {
			if err := errOf(ctx, tk); !errors.Is(err, duet.ErrBrokenBarrier) || !strings.Contains(err.Error(), "Abort") {
				return fmt.Errorf("draining party: %v, want the Abort", err)
			}
		}
		if !b.Broken() || b.NWaiting() != 0 {
			return fmt.Errorf("broken=%v n_waiting=%d", b.Broken(), b.NWaiting())
		}
		return nil
	})
}

// TestBarrierResetWhileDraining: Reset while a released round drains fails
// the tasks of it that have not left Wait (asyncio's RESETTING state), and
// arrivals wait until the round has drained, then fill the next round in the
// order they got in. CPython 3.11 gives the same indexes: R0 S1 main2.
func TestBarrierResetWhileDraining(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		b := newBarrier(t, 3)
		wait := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				i, err := b.Wait(ctx)
				switch {
				case errors.Is(err, duet.ErrBrokenBarrier):
					tr.add("%s:broken/%d", name, b.NWaiting())
					return nil
				case err != nil:
					return err
				}
				tr.add("%s%d/%d", name, i, b.NWaiting())
				return nil
			}
		}
		x, y := spawn(ctx, "X", wait("X")), spawn(ctx, "Y", wait("Y"))
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != 2 || err != nil {
			return fmt.Errorf("last party: %d, %v", i, err)
		}
		b.Reset()
		tr.add("reset:%v/%d", b.Broken(), b.NWaiting())
		r, s := spawn(ctx, "R", wait("R")), spawn(ctx, "S", wait("S"))
		if err := wait("main")(ctx); err != nil { // arrives while X and Y drain
			return err
		}
		return errors.Join(errOf(ctx, x), errOf(ctx, y), errOf(ctx, r), errOf(ctx, s))
	})
	tr.want(t, "reset:false/0 X:broken/0 Y:broken/0 main2/0 R0/0 S1/0")
}

// TestBarrierGoroutineDrain: a goroutine that calls Wait again while a
// party of the round it passed has not left Wait yet (a task whose loop is
// busy) waits for it, as threading's barrier blocks arrivals in _enter while
// it drains; NWaiting reads 0 meanwhile, and the goroutine joins the next
// round once the task has left.
func TestBarrierGoroutineDrain(t *testing.T) {
	bg := context.Background()
	b := newBarrier(t, 2)
	hold := make(chan struct{})
	loopDone := make(chan error)
	go func() {
		loopDone <- aio.Run(bg, func(ctx context.Context) error {
			x := spawn(ctx, "X", func(ctx context.Context) error {
				if i, err := b.Wait(ctx); i != 0 || err != nil {
					return fmt.Errorf("X: %d, %v", i, err)
				}
				return nil
			})
			yield(ctx, 1) // X waits
			<-hold        // blocks the loop: X, once released, cannot leave Wait yet
			return errOf(ctx, x)
		})
	}()
	waitUntil(t, "X waiting", func() bool { return b.NWaiting() == 1 })
	if i, err := b.Wait(bg); i != 1 || err != nil {
		t.Fatalf("last party: %d, %v", i, err)
	}
	second := make(chan int, 1)
	go func() {
		i, err := b.Wait(bg)
		if err != nil {
			t.Error(err)
		}
		second <- i
	}()
	waitUntil(t, "re-entering goroutine waiting", func() bool {
		return duet.BarrierEntryWaiters(b) == 1 || b.NWaiting() == 1
	})
	if n, w := duet.BarrierEntryWaiters(b), b.NWaiting(); n != 1 || w != 0 {
		t.Fatalf("while X drains: %d arrivals held, n_waiting %d; want 1 and 0", n, w)
	}
	close(hold)
	waitUntil(t, "next round filling", func() bool { return b.NWaiting() == 1 })
	if i, err := b.Wait(bg); i != 1 || err != nil {
		t.Fatalf("round 2, last party: %d, %v", i, err)
	}
	if i := <-second; i != 0 {
		t.Fatalf("re-entering goroutine got index %d, want 0", i)
	}
	if err := <-loopDone; err != nil {
		t.Fatal(err)
	}
}

// TestBarrierGoroutineTimeoutDuringAction: while the action runs, the round
// is complete but not released, so NWaiting reads Parties(); a goroutine
// whose ctx ends then learns the round's outcome first and passes with its
// index, without breaking the barrier. That is threading's behaviour, where
// the action runs under the barrier's lock: CPython 3.11, with the first
// party's timeout (0.1 s) ending inside a 0.3 s action, logs n_waiting 3 in
// the action and indexes {g1: 0, g2: 1, g3: 2}, barrier not broken.
func TestBarrierGoroutineTimeoutDuringAction(t *testing.T) {
	bg := context.Background()
	ctx1, cancel1 := context.WithCancel(bg)
	defer cancel1()
	var b *duet.Barrier
	inAction := -1
	b = newBarrier(t, 3, duet.WithBarrierAction(func(context.Context) error {
		inAction = b.NWaiting()
		cancel1()
		waitUntil(t, "g1 seeing its ctx end", func() bool { return duet.BarrierLateWaiters(b) == 1 || b.Broken() })
		return nil
	}))
	type res struct {
		i   int
		err error
	}
	g1, g2 := make(chan res, 1), make(chan res, 1)
	go func() { i, err := b.Wait(ctx1); g1 <- res{i, err} }()
	waitUntil(t, "g1 waiting", func() bool { return b.NWaiting() == 1 })
	go func() { i, err := b.Wait(bg); g2 <- res{i, err} }()
	waitUntil(t, "g2 waiting", func() bool { return b.NWaiting() == 2 })
	if i, err := b.Wait(bg); i != 2 || err != nil {
		t.Fatalf("g3: %d, %v", i, err)
	}
	if r := <-g1; r.i != 0 || r.err != nil {
		t.Fatalf("g1 (ctx ended during the action): %d, %v; want 0, nil", r.i, r.err)
	}
	if r := <-g2; r.i != 1 || r.err != nil {
		t.Fatalf("g2: %d, %v", r.i, r.err)
	}
	if inAction != 3 || b.Broken() || b.NWaiting() != 0 {
		t.Fatalf("n_waiting in the action %d (want 3), broken %v, n_waiting %d", inAction, b.Broken(), b.NWaiting())
	}
}

// TestBarrierAbortResetDuringAction: Abort and Reset never wait, so one
// that comes while the action runs acts as threading's would, which waits
// for the action (it runs under the barrier's lock): right after the
// release. Abort then fails the released parties (the last one has left
// with its index); Reset leaves goroutines released (threading) but fails
// tasks (asyncio's reset while draining).
func TestBarrierAbortResetDuringAction(t *testing.T) {
	bg := context.Background()
	var b *duet.Barrier
	var during func()
	b = newBarrier(t, 2, duet.WithBarrierAction(func(context.Context) error {
		during()
		return nil
	}))
	other := make(chan error, 1)
	first := func(ctx context.Context) {
		go func() { _, err := b.Wait(ctx); other <- err }()
		waitUntil(t, "first party waiting", func() bool { return b.NWaiting() == 1 })
	}

	during = b.Abort
	first(bg)
	if i, err := b.Wait(bg); i != 1 || err != nil {
		t.Fatalf("Abort in the action: last party %d, %v; want 1, nil", i, err)
	}
	if err := <-other; !errors.Is(err, duet.ErrBrokenBarrier) {
		t.Fatalf("Abort in the action: released party got %v, want ErrBrokenBarrier", err)
	}
	if !b.Broken() {
		t.Fatal("Abort in the action did not break the barrier")
	}

	b.Reset()
	during = b.Reset
	first(bg)
	if i, err := b.Wait(bg); i != 1 || err != nil {
		t.Fatalf("Reset in the action: last party %d, %v", i, err)
	}
	if err := <-other; err != nil {
		t.Fatalf("Reset in the action: released goroutine got %v, want its index", err)
	}

	runLoop(t, func(ctx context.Context) error {
		x := spawn(ctx, "X", func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
		yield(ctx, 1)
		if i, err := b.Wait(ctx); i != 1 || err != nil {
			return fmt.Errorf("Reset in the action, tasks: last party %d, %v", i, err)
		}
		if err := errOf(ctx, x); !errors.Is(err, duet.ErrBrokenBarrier) {
			return fmt.Errorf("Reset in the action: released task got %v, want ErrBrokenBarrier", err)
		}
		return nil
	})
	if b.Broken() || b.NWaiting() != 0 {
		t.Fatalf("after Reset: broken %v, n_waiting %d", b.Broken(), b.NWaiting())
	}
}

// TestBarrierOnePartyArrivalDuringAction: with one party there is nobody
// to drain, so an arrival held while the action ran goes on at the release.
func TestBarrierOnePartyArrivalDuringAction(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		var b *duet.Barrier
		var late *aio.Task[struct{}]
		b = newBarrier(t, 1, duet.WithBarrierAction(func(ctx context.Context) error {
			if late == nil {
				late = spawn(ctx, "late", func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
				yield(ctx, 2)
				if n := duet.BarrierEntryWaiters(b); n != 1 {
					return fmt.Errorf("arrival during the action: %d held, want 1", n)
				}
			}
			return nil
		}))
		if i, err := b.Wait(ctx); i != 0 || err != nil {
			return fmt.Errorf("first: %d, %v", i, err)
		}
		return errOf(ctx, late)
	})
}

// TestBarrierGoroutineTimeoutIsBroken: a goroutine whose Wait a ctx
// deadline ends gets one error matching both ErrTimeout and ErrBrokenBarrier,
// as threading.Barrier.wait(timeout=) raises BrokenBarrierError; a task that
// times out gets ErrTimeout only, as asyncio.wait_for(b.wait()) raises
// TimeoutError, and withdraws without breaking the barrier.
func TestBarrierGoroutineTimeoutIsBroken(t *testing.T) {
	b := newBarrier(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := b.Wait(ctx)
	var te *duet.TimeoutError
	if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, duet.ErrBrokenBarrier) || !errors.As(err, &te) {
		t.Fatalf("goroutine: %v; want an error matching ErrTimeout and ErrBrokenBarrier", err)
	}
	if !b.Broken() {
		t.Fatal("barrier not broken")
	}
	b.Reset()
	runLoop(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { _, err := b.Wait(ctx); return err })
		if !errors.Is(err, duet.ErrTimeout) || errors.Is(err, duet.ErrBrokenBarrier) || b.Broken() {
			return fmt.Errorf("task: %v, broken %v; want ErrTimeout only, barrier whole", err, b.Broken())
		}
		return nil
	})
}
