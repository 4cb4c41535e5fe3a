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
