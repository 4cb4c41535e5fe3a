package aio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
)

// idleCall is one call of a recIdler: a wait for a timer, or (forTimer
// false) the poll of an iteration that has work ready.
type idleCall struct {
	timeout  time.Duration
	forTimer bool
	arrived  bool
}

// recIdler records the calls an autojump makes of the idler it wraps, and
// shows other goroutines whether the loop is inside one and for how long.
type recIdler struct {
	inner   idler
	in      atomic.Bool
	timeout atomic.Int64 // of the call in progress
	mu      sync.Mutex
	calls   []idleCall
}

func (r *recIdler) idle(timeout time.Duration, due time.Time) bool {
	r.timeout.Store(int64(timeout))
	r.in.Store(true)
	arrived := r.inner.idle(timeout, due)
	r.in.Store(false)
	r.mu.Lock()
	r.calls = append(r.calls, idleCall{timeout, !due.IsZero(), arrived})
	r.mu.Unlock()
	return arrived
}

func (r *recIdler) wake()  { r.inner.wake() }
func (r *recIdler) close() { r.inner.close() }

// idlingFor reports whether the loop is inside an idle call of timeout.
func (r *recIdler) idlingFor(timeout time.Duration) bool {
	return r.in.Load() && time.Duration(r.timeout.Load()) == timeout
}

// waits returns the calls made while the loop waited for a timer.
func (r *recIdler) waits() []idleCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []idleCall
	for _, c := range r.calls {
		if c.forTimer {
			out = append(out, c)
		}
	}
	return out
}

// polls counts the polls of iterations that had work ready.
func (r *recIdler) polls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if !c.forTimer && c.timeout == 0 {
			n++
		}
	}
	return n
}

var vstart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newRecLoop returns a loop on a virtual clock reading vstart whose
// autojump reports to the returned recIdler.
func newRecLoop(opts ...Option) (*Loop, *autojump, *recIdler) {
	l := New(append([]Option{WithClock(NewVirtualClockAt(vstart))}, opts...)...)
	aj := l.idler.(*autojump)
	rec := &recIdler{inner: aj.inner}
	aj.inner = rec
	return l, aj, rec
}

// runGuarded runs main as a task of l until it completes, closes l, and
// fails the test if that takes longer than a generous hang guard.
func runGuarded(t *testing.T, l *Loop, main func(ctx context.Context) error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := RunUntilComplete(l, Spawn(l.Context(), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, main(ctx)
		}))
		l.Close()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the loop has not finished after 20 s")
	}
}

// waitUntil polls cond from the test's goroutine, within the hang guard.
func waitUntil(cond func() bool) bool {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}

// With an I/O wait registered, an idle loop on a virtual clock waits for
// I/O before it jumps: while the threshold has not passed the clock stays
// put, and what arrives meanwhile (here a callback from another goroutine,
// as a poller's readiness would be) runs at the current time; once the
// threshold passes with nothing arriving, the clock jumps. The threshold
// is an hour at first, which cannot pass during the test, then, set by the
// callback that arrived, a millisecond, which must.
func TestAutojumpWaitsForIOThenJumps(t *testing.T) {
	l, aj, rec := newRecLoop(WithAutojumpThreshold(time.Hour))
	l.ioWaitBegin() // a socket read pending for the whole test
	var seenIdle, seenByCallback time.Time
	arrived := make(chan error, 1)
	go func() {
		if !waitUntil(func() bool { return rec.idlingFor(time.Hour) }) {
			arrived <- fmt.Errorf("the loop never idled waiting for I/O")
			return
		}
		seenIdle = l.Time()
		_, err := l.CallSoon(func() {
			seenByCallback = l.Time()
			aj.threshold = time.Millisecond // the loop's own: read by its idle calls
		})
		arrived <- err
	}()
	runGuarded(t, l, func(ctx context.Context) error {
		if err := duet.Sleep(ctx, time.Minute); err != nil {
			return err
		}
		if seenByCallback.IsZero() {
			return fmt.Errorf("the sleep ended at %v before the wake-up arrived: the clock jumped without waiting for I/O", l.Time())
		}
		if err := <-arrived; err != nil {
			return err
		}
		if !seenIdle.Equal(vstart) || !seenByCallback.Equal(vstart) {
			return fmt.Errorf("the clock read %v while the loop waited for I/O and %v when the wake-up ran, want %v: it jumped before the threshold", seenIdle, seenByCallback, vstart)
		}
		if now := l.Time(); !now.Equal(vstart.Add(time.Minute)) {
			return fmt.Errorf("after the sleep the clock reads %v, want %v: it did not jump once the threshold passed", now, vstart.Add(time.Minute))
		}
		return nil
	})
	l.ioWaitEnd()
	want := []idleCall{{time.Hour, true, true}, {time.Millisecond, true, false}}
	if got := rec.waits(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("idle calls %v, want %v (an hour's wait ended by the wake-up, then a millisecond's that ran out)", got, want)
	}
}

// Without I/O waits the clock jumps as soon as nothing is ready, without
// waiting at all; a threshold of 0 polls for I/O once and then jumps; and
// outstanding bridged work holds the clock, I/O or not, until it is
// released, whose last release wakes the loop so that the clock can go on.
func TestAutojumpPolicy(t *testing.T) {
	t.Run("no I/O: jumps at once", func(t *testing.T) {
		l, _, rec := newRecLoop(WithAutojumpThreshold(time.Hour))
		runGuarded(t, l, func(ctx context.Context) error { return duet.Sleep(ctx, time.Minute) })
		if got := rec.waits(); len(got) != 0 {
			t.Fatalf("idle calls %v, want none: the clock jumps without waiting", got)
		}
		if now := l.Time(); !now.Equal(vstart.Add(time.Minute)) {
			t.Fatalf("clock %v, want %v", now, vstart.Add(time.Minute))
		}
	})
	t.Run("threshold 0: polls once, then jumps", func(t *testing.T) {
		l, _, rec := newRecLoop(WithAutojumpThreshold(0))
		l.ioWaitBegin()
		defer l.ioWaitEnd()
		runGuarded(t, l, func(ctx context.Context) error { return duet.Sleep(ctx, time.Minute) })
		if got, want := rec.waits(), []idleCall{{0, true, false}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("idle calls %v, want %v", got, want)
		}
	})
	t.Run("held clock: waits for the release", func(t *testing.T) {
		l, _, rec := newRecLoop(WithAutojumpThreshold(0))
		l.ioWaitBegin()
		defer l.ioWaitEnd()
		l.holdClock()
		var seen time.Time
		go func() {
			if waitUntil(func() bool { return rec.idlingFor(duet.NoTimeout) }) {
				seen = l.Time()
			}
			l.releaseClock()
		}()
		runGuarded(t, l, func(ctx context.Context) error { return duet.Sleep(ctx, time.Minute) })
		if !seen.Equal(vstart) {
			t.Fatalf("the clock read %v while held, want %v (or the loop never waited without limit)", seen, vstart)
		}
		if now := l.Time(); !now.Equal(vstart.Add(time.Minute)) {
			t.Fatalf("after the release the clock reads %v, want %v", now, vstart.Add(time.Minute))
		}
	})
}

// An iteration that has work ready polls for I/O without waiting while an
// I/O wait is registered, and does not touch the idler otherwise.
func TestReadyIterationPollsIO(t *testing.T) {
	for _, io := range []bool{false, true} {
		l, _, rec := newRecLoop()
		if io {
			l.ioWaitBegin()
		}
		runGuarded(t, l, func(ctx context.Context) error {
			for range 5 {
				if err := duet.Sleep(ctx, 0); err != nil {
					return err
				}
			}
			return nil
		})
		if polls := rec.polls(); io && polls < 5 || !io && polls != 0 {
			t.Errorf("I/O wait registered %v: %d polls in 5 iterations with work ready", io, polls)
		}
		if io {
			l.ioWaitEnd()
		}
	}
}
