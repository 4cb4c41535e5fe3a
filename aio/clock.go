package aio

import (
	"sync"
	"time"

	"github.com/duet-go/duet"
)

// Clock is the time source of a loop. The loop reads it for Time, CallLater,
// Sleep and timeouts, and keeps every deadline on it.
//
// Between iterations the loop waits in real time for the earliest of those
// deadlines, and only the clock can say for how long: the loop never
// compares a deadline of its clock with the reading of another. A Clock
// that is not a SleepClock is taken to advance at the rate of real time,
// whatever its offset from wall time: the loop waits deadline.Sub(c.Now()).
// A clock that runs at another rate, or that moves in jumps, implements
// SleepClock (Trio: Clock.deadline_to_sleep_time).
type Clock interface {
	Now() time.Time
}

// SleepClock is a Clock that says how long the loop must wait, in real
// time, for its reading to reach deadline (Trio:
// Clock.deadline_to_sleep_time). The answer follows duet's timeout rule:
// <= 0 means the deadline has been reached, duet.NoTimeout that the clock
// does not get there by itself, so the loop waits until something wakes
// it. The loop asks from its own goroutine each time it is about to wait
// for a timer; when it wakes and finds the timer not yet due on the clock,
// it asks again, so an answer a little short costs one more wake-up, not a
// timer run early.
type SleepClock interface {
	Clock
	SleepTime(deadline time.Time) time.Duration
}

// sleepTime is how long, in real time, the loop waits for c to reach
// deadline: c's answer if it is a SleepClock, else the time left on c,
// which a clock that advances at the rate of real time takes to pass.
func sleepTime(c Clock, deadline time.Time) time.Duration {
	if s, ok := c.(SleepClock); ok {
		return s.SleepTime(deadline)
	}
	return deadline.Sub(c.Now())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// VirtualClock is a clock that only moves when the loop has nothing to do:
// when every task waits and no callback is ready, the loop jumps the clock
// straight to the next timer (Trio's MockClock with autojump). Timeouts and
// sleeps then take no real time and happen in a deterministic order, which
// makes tests of timing logic fast and exact.
//
// What may still give the loop work at the current time holds the jump.
// Work handed to other goroutines through the loop's bridges (ToThread,
// RunInExecutor) holds it until that work is done. A registered I/O wait
// (a socket read or accept pending) holds it for the autojump threshold
// (WithAutojumpThreshold, DefaultAutojumpThreshold): the loop idles up to
// that long in real time for I/O or a wake-up, runs what arrives at the
// current time, and jumps only when nothing has arrived, as Trio's
// autojump_threshold. A test of a server on loopback therefore neither
// freezes, waiting for a socket that only a later timer would feed, nor
// times out before its peer had a chance to answer. With neither, the
// clock jumps as soon as nothing is ready.
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

// SleepTime is duet.NoTimeout for a deadline ahead of the clock, 0 for one
// it has reached: a virtual clock does not move with real time, so a loop
// never waits for it to reach a deadline; the loop jumps it there instead
// (see VirtualClock).
func (c *VirtualClock) SleepTime(deadline time.Time) time.Duration {
	if deadline.After(c.Now()) {
		return duet.NoTimeout
	}
	return 0
}

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
