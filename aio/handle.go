package aio

import (
	"sync/atomic"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// Handle is a scheduled callback (Python: asyncio.Handle and TimerHandle).
// Cancel stops it from running if it has not run yet. Its methods are safe
// from any goroutine, and on a nil *Handle (what CallSoon and friends
// return with an error), which behaves as a callback that never ran and
// cannot be cancelled.
type Handle struct {
	fn    func()
	w     *park.Waiter // a sleeping task's waiter: woken instead of fn
	when  time.Time
	state atomic.Int32 // handlePending, handleRan or handleCancelled
	loop  *Loop
}

const (
	handlePending int32 = iota
	handleRan
	handleCancelled
)

// Cancel prevents the callback from running; it reports false when the
// callback already ran or the handle was already cancelled. Safe from any
// goroutine; false on a nil handle.
func (h *Handle) Cancel() bool {
	if h == nil || !h.state.CompareAndSwap(handlePending, handleCancelled) {
		return false
	}
	if !h.when.IsZero() && h.loop != nil {
		h.loop.timerCancelled()
	}
	return true
}

// Cancelled reports whether Cancel was called (and succeeded); false on a
// nil handle.
func (h *Handle) Cancelled() bool { return h != nil && h.state.Load() == handleCancelled }

// claim marks the handle as run; false if it was cancelled first.
func (h *Handle) claim() bool { return h.state.CompareAndSwap(handlePending, handleRan) }

// When returns the time a timer handle is due on its loop's clock (zero for
// a plain callback or a nil handle).
func (h *Handle) When() time.Time {
	if h == nil {
		return time.Time{}
	}
	return h.when
}
