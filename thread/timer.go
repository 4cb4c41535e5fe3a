package thread

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// Timer is a thread that runs a function after a delay unless cancelled
// first. Python: threading.Timer, a Thread subclass. It embeds its
// *Thread, so Join, IsAlive, Name, ID, Future and Result work as for any
// thread; the thread's outcome is fn's error, or a cancellation when the
// timer was cancelled (or its context ended) before fn started.
//
// The delay is measured on the real clock, by a goroutine that sleeps; on
// an event loop use the loop's CallLater (virtual clocks apply there).
type Timer struct {
	*Thread[struct{}]
	state atomic.Uint32 // timerWaiting, timerFired or timerCancelled
	stop  chan struct{}
}

const (
	timerWaiting uint32 = iota
	timerFired
	timerCancelled
)

// StartTimer starts a Timer that calls fn with the thread's context once d
// has passed. d <= 0 does not wait: fn runs at once, as Python's
// Timer(0, fn) and Timer(-1, fn) do. duet.NoTimeout never fires: the timer
// waits until cancelled or until ctx ends, and fn never runs (Python:
// Timer(None, fn), whose Event.wait(None) waits for cancel()). If ctx ends
// during the wait, fn never runs. A nil fn gives a timer whose thread has
// already failed with an error naming StartTimer and the timer. Python:
// threading.Timer(interval, function).start().
func StartTimer(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) *Timer {
	tm := &Timer{stop: make(chan struct{})}
	if ctx == nil {
		tm.state.Store(timerFired)
		tm.Thread = newThread[struct{}](context.Background(), "")
		tm.fut.SetError(nilCtx("StartTimer"))
		return tm
	}
	if fn == nil {
		tm.state.Store(timerFired)
		tm.Thread = newThread[struct{}](ctx, "")
		tm.fut.SetError(fmt.Errorf("thread: StartTimer with a nil function (timer %q)", tm.Name()))
		return tm
	}
	tm.Thread = Start(ctx, "", func(ctx context.Context) (struct{}, error) {
		var fire <-chan time.Time // nil for NoTimeout: never ready
		if d != duet.NoTimeout {
			t := time.NewTimer(d)
			defer t.Stop()
			fire = t.C
		}
		select {
		case <-fire:
		case <-tm.stop:
		case <-ctx.Done():
		}
		if !tm.state.CompareAndSwap(timerWaiting, timerFired) {
			return struct{}{}, &duet.CancelledError{Msg: "thread: timer cancelled"}
		}
		if ctx.Err() != nil {
			return struct{}{}, park.CtxErr(ctx)
		}
		return struct{}{}, fn(ctx)
	})
	return tm
}

// Future returns the future of the timer's thread (see Thread.Future).
// Nil-safe, like Thread's: the method promoted from the embedded *Thread
// would dereference a nil *Timer to find it.
func (tm *Timer) Future() *duet.Future[struct{}] {
	if tm == nil {
		return nil
	}
	return tm.Thread.Future()
}

// Cancel stops the timer if it is still waiting, so fn never runs, and
// reports whether it did; once fn has started (or the timer was already
// cancelled) it does nothing and reports false. Python: Timer.cancel(),
// which is effective only while the timer waits.
func (tm *Timer) Cancel() bool {
	if !tm.state.CompareAndSwap(timerWaiting, timerCancelled) {
		return false
	}
	close(tm.stop)
	return true
}
