package aio

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
)

// idler is the loop's wait between iterations: the one place where a
// loop's goroutine blocks (Python: the selector.select(timeout) call in
// BaseEventLoop._run_once; Trio: the I/O manager's get_events(timeout)).
// The loop makes one idle call per iteration that found nothing ready, and
// the idler is chosen once, at New: chanIdler, or autojump around it when
// the loop's clock is a VirtualClock. An I/O poller is an idler too, and
// plugs in there without the iteration changing.
//
// The loop's mutex is the idler's monitor lock, as a sync.Cond's L is:
// idle and wake are called with it held, and idle releases it only while
// it blocks.
type idler interface {
	// idle blocks the loop's goroutine until wake is called or timeout has
	// passed, by duet's timeout rule: timeout <= 0 does not block (a poll),
	// duet.NoTimeout blocks without limit. It is entered and left with the
	// loop's mutex held and releases it while blocked. It reports whether
	// anything arrived (a wake-up, or I/O it delivered) rather than the
	// timeout passing; a wake-up sent before it returns, even one that lost
	// the race with the timeout, must count, so that an idler that moves a
	// clock on a timeout never moves it past work that is already queued.
	//
	// due is the deadline, on the loop's clock, that timeout was computed
	// for (the earliest timer; zero when there is none). An idler that
	// waits in real time ignores it; autojump jumps a virtual clock to it.
	//
	// A poller delivers readiness from this call: before it returns, it
	// makes the callbacks or tasks waiting on ready descriptors runnable
	// through the loop's ordinary scheduling, so that they run in the
	// iteration that follows, after the callbacks already queued and
	// before the timers (CPython: _process_events fills _ready before the
	// timer phase).
	idle(timeout time.Duration, due time.Time) (arrived bool)

	// wake makes the idle call in progress return. The loop calls it with
	// its mutex held, at most once per idle call and only while one is in
	// progress (or about to start: the loop has decided to idle and not
	// yet entered idle), so it must not block: a channel send with room, a
	// write to an eventfd.
	wake()

	// close releases what the idler holds (a timer, a poller's descriptor)
	// when the loop closes.
	close()
}

// timerSlack is the granularity of the loop's real-clock waits.
const timerSlack = time.Millisecond

// chanIdler waits on a channel and a reused timer: the loop's wait when it
// has no poller.
type chanIdler struct {
	mu *sync.Mutex // the loop's
	ch chan struct{}
	tm *time.Timer
}

func newChanIdler(mu *sync.Mutex) *chanIdler {
	return &chanIdler{mu: mu, ch: make(chan struct{}, 1)}
}

func (c *chanIdler) idle(timeout time.Duration, _ time.Time) bool {
	arrived := false
	if timeout > 0 {
		c.mu.Unlock()
		if timeout == duet.NoTimeout {
			<-c.ch
			arrived = true
		} else {
			// Wake on a whole-millisecond boundary, as epoll's timeout does
			// for CPython: timers due within the same millisecond then run
			// in one iteration instead of one wake-up each (never early, at
			// most 1 ms late).
			if r := timeout % timerSlack; r != 0 && timeout < math.MaxInt64-timerSlack {
				timeout += timerSlack - r
			}
			if c.tm == nil {
				c.tm = time.NewTimer(timeout)
			} else {
				c.tm.Reset(timeout)
			}
			select {
			case <-c.ch:
				c.tm.Stop()
				arrived = true
			case <-c.tm.C:
			}
		}
		c.mu.Lock()
	}
	// A wake-up sent after the wait ended (the waker saw the loop idle
	// before it took the lock back) must not linger into the next wait; it
	// still counts: what it announced is queued.
	select {
	case <-c.ch:
		arrived = true
	default:
	}
	return arrived
}

func (c *chanIdler) wake() {
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *chanIdler) close() {
	if c.tm != nil {
		c.tm.Stop()
	}
}

// autojump is the idler of a loop whose clock is a VirtualClock: when the
// loop would wait for a timer and nothing else can wake it, the clock jumps
// to the timer's deadline instead of the loop waiting (Trio: MockClock's
// autojump). Outstanding work handed to other goroutines through the
// loop's bridges holds the clock: that work may still wake the loop, so it
// waits for it on inner.
type autojump struct {
	inner    idler
	clock    *VirtualClock
	external *atomic.Int64 // the loop's count of outstanding bridged work
}

func (a *autojump) idle(timeout time.Duration, due time.Time) bool {
	if timeout <= 0 || due.IsZero() || a.external.Load() > 0 {
		return a.inner.idle(timeout, due)
	}
	a.clock.advanceTo(due)
	return false
}

func (a *autojump) wake()  { a.inner.wake() }
func (a *autojump) close() { a.inner.close() }
