package aio

import (
	"sync"
	"time"
)

// Clock is the time source of a loop. The loop reads it for Time, CallLater,
// Sleep and timeouts.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// VirtualClock is a clock that only moves when the loop has nothing to do:
// when every task waits and no callback is ready, the loop jumps the clock
// straight to the next timer (Trio's MockClock with autojump). Timeouts and
// sleeps then take no real time and happen in a deterministic order, which
// makes tests of timing logic fast and exact.
//
// The clock does not jump while work handed to other goroutines through the
// loop's bridges is outstanding, since that work may still wake the loop.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a virtual clock that starts at the real time of
// its creation, so that a deadline computed from time.Now() by code that
// does not know about the loop's clock (a context.WithDeadline, a
// duet.WithDeadline given time.Now().Add(d)) lies about d ahead on the
// virtual clock too, as it would on the real one, instead of decades away.
// Read times of the loop from the loop (Loop.Time), not from time.Now():
// the virtual clock moves ahead of wall time as it jumps.
func NewVirtualClock() *VirtualClock { return &VirtualClock{now: time.Now()} }

// NewVirtualClockAt returns a virtual clock reading start, for tests that
// want the loop's absolute times to be the same in every run.
func NewVirtualClockAt(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the clock's reading.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (never backward).
func (c *VirtualClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *VirtualClock) advanceTo(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}
