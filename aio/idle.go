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
// it blocks or delivers I/O.
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
	// A poller delivers readiness from this call: after its wait and
	// before it takes the mutex back, it makes the callbacks or tasks
	// waiting on ready descriptors runnable through the loop's ordinary
	// scheduling (which takes the mutex, and whose first item calls wake:
	// the poller absorbs that wake-up as chanIdler absorbs a late one), so
	// that they run in the iteration that follows, after the callbacks
	// already queued and before the timers (CPython: _process_events fills
	// _ready before the timer phase).
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

// wakeSources counts what may still bring a loop work from outside its
// ready queue and its timers. The loop's bridges and its I/O code keep the
// counts through holdClock and ioWaitBegin; idlers consult them, so that
// no I/O code has to know how a virtual clock decides to jump.
type wakeSources struct {
	external atomic.Int64 // outstanding work on other goroutines that will wake the loop
	ioWaits  atomic.Int64 // registered I/O waits
}

// holdClock records work handed to another goroutine that will wake the
// loop when it is done (a job on a pool that a task awaits): until the
// matching releaseClock, a virtual clock does not jump, since that work
// may still make the loop something to do at the current time. Safe from
// any goroutine.
func (l *Loop) holdClock() { l.src.external.Add(1) }

// releaseClock ends a holdClock. The last release wakes the loop if it
// idles, so that a virtual clock it held can jump.
func (l *Loop) releaseClock() {
	if l.src.external.Add(-1) == 0 && l.vclock != nil {
		l.mu.Lock()
		l.signalLocked()
		l.mu.Unlock()
	}
}

// ioWaitBegin records an I/O wait registered with the loop's poller: a
// task or callback waiting for a descriptor to become ready or for an
// operation to complete. While any is registered the loop polls for I/O
// in iterations that have work ready, as CPython's selector loop does, and
// a virtual clock jumps only after the loop has idled for the autojump
// threshold with nothing arriving (see WithAutojumpThreshold). The I/O code
// calls ioWaitEnd when the wait ends (ready, cancelled or closed); both are
// safe from any goroutine. An end needs no wake-up of its own: the wait
// ends with its waiter made runnable, which wakes the loop, or on the
// loop's own goroutine.
func (l *Loop) ioWaitBegin() { l.src.ioWaits.Add(1) }

// ioWaitEnd ends an ioWaitBegin.
func (l *Loop) ioWaitEnd() { l.src.ioWaits.Add(-1) }

// DefaultAutojumpThreshold is how long, in real time, a loop with a
// virtual clock idles with an I/O wait registered before it jumps the
// clock, when WithAutojumpThreshold is not given. A peer on the same loop
// has usually handed its data to the kernel, loopback included, by the
// time the loop idles, so the first poll sees it; the threshold is for a
// peer on another goroutine or process, which must be scheduled to
// answer: 5 ms covers a busy machine's scheduling delay and Go's
// sub-millisecond GC pauses many times over, and costs at most 5 ms of
// real time per jump taken while a socket wait is pending (a listening
// server's accept is one for its whole life).
const DefaultAutojumpThreshold = 5 * time.Millisecond

// WithAutojumpThreshold sets how long, in real time, a loop with a virtual
// clock idles while an I/O wait is registered before it jumps the clock to
// the next timer (Trio: MockClock(autojump_threshold=d)). Anything that
// arrives meanwhile (I/O, a wake-up from another goroutine) runs first at
// the current time, and the next idle period counts afresh. By duet's
// timeout rule d <= 0 polls for I/O once and then jumps (Trio's
// autojump_threshold=0), and duet.NoTimeout never jumps while an I/O wait
// is registered. Without I/O waits the clock jumps as soon as nothing is
// ready, whatever d. Other clocks ignore it.
func WithAutojumpThreshold(d time.Duration) Option {
	return func(l *Loop) { l.autojumpAfter = d }
}

// autojump is the idler of a loop whose clock is a VirtualClock: when the
// loop would wait for a timer and nothing else can give it work, the clock
// jumps to the timer's deadline instead (Trio: MockClock's autojump).
//
// The policy, in order: outstanding work on other goroutines (holdClock)
// holds the clock, and the loop waits for it without limit on inner; with
// an I/O wait registered, the loop first waits up to threshold of real
// time on inner for I/O or a wake-up, and jumps only if nothing arrived;
// otherwise it jumps at once.
type autojump struct {
	inner     idler
	clock     *VirtualClock
	src       *wakeSources
	threshold time.Duration
}

func (a *autojump) idle(timeout time.Duration, due time.Time) bool {
	switch {
	case timeout <= 0 || due.IsZero() || a.src.external.Load() > 0:
		// A poll, no timer to jump to, or work elsewhere that will wake
		// the loop: wait as any loop does.
		return a.inner.idle(timeout, due)
	case a.src.ioWaits.Load() > 0:
		if a.inner.idle(a.threshold, due) {
			return true // run what arrived at the current time first
		}
	}
	a.clock.advanceTo(due)
	return false
}

func (a *autojump) wake()  { a.inner.wake() }
func (a *autojump) close() { a.inner.close() }
