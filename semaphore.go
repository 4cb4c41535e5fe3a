package duet

import (
	"context"
	"fmt"
	"sync"

	"github.com/duet-go/duet/internal/park"
)

var errBoundedOverRelease = fmt.Errorf("duet: BoundedSemaphore.Release: %w: released more times than acquired (every Release must match a successful Acquire or TryAcquire)", ErrInvalidState)

// Semaphore is a counting semaphore shared by loop tasks and goroutines: the
// one semaphore of asyncio.Semaphore and threading.Semaphore. It holds a
// number of permits; Acquire takes one, waiting while none is free, and
// Release returns one.
//
// A Semaphore is strictly FIFO (asyncio after the gh-90155 fix): a released
// permit goes straight to the oldest waiter, and a newcomer queues behind
// every waiter that has not been cancelled even if a permit is free, so
// Locked stays true right after a Release while waiters exist. A waiter that
// is granted a permit and cancelled before it runs gives the permit to the
// next waiter (or back to the semaphore), so no permit is ever lost.
//
// Release is not checked against Acquire (Python's Semaphore neither); use a
// BoundedSemaphore to catch extra releases.
//
// The zero Semaphore has no permits (Release adds them). A Semaphore must not
// be copied after first use.
type Semaphore struct {
	mu      sync.Mutex
	value   int       // free permits
	waiters park.List // pending, granted (until they run) and cancelled waiters
}

// NewSemaphore returns a semaphore holding n permits. A negative n is an
// error (Python raises ValueError): nothing is created. The constructor
// returns an error rather than panicking so that a count that comes from
// configuration is reported, not fatal.
// Python: asyncio.Semaphore(value), threading.Semaphore(value).
func NewSemaphore(n int) (*Semaphore, error) {
	if n < 0 {
		return nil, fmt.Errorf("duet: NewSemaphore(%d): the number of permits must be >= 0", n)
	}
	return &Semaphore{value: n}, nil
}

// Acquire takes a permit, waiting while none is free or while earlier
// waiters are queued, and returns nil once the caller holds it.
//
// On a loop task it suspends the task; on a goroutine it blocks. It returns
// an error matching ErrCancelled (ErrTimeout for a deadline) when the waiting
// task is cancelled or ctx ends first; then the caller holds no permit, and a
// permit granted to it in the meantime has been passed on. A goroutine whose
// ctx ends just as a permit is granted keeps it (nil). An Acquire that finds
// a permit free does not look at ctx. For a timeout, pass a ctx with a
// deadline (or wrap the call in a task timeout), as asyncio has no timeout
// parameter either.
//
// Python: await asyncio.Semaphore.acquire(), threading.Semaphore.acquire().
func (s *Semaphore) Acquire(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Semaphore.Acquire")
	}
	s.mu.Lock()
	if !s.lockedLocked() {
		s.value--
		s.mu.Unlock()
		return nil
	}
	w := park.NewWaiter(ctx).Labeled(labelSemaphore, s)
	s.waiters.PushBack(w)
	s.mu.Unlock()

	_, err := park.Wait(ctx, w, s.dropWaiter)
	if err != nil {
		s.dropWaiter(w)
		return err
	}
	s.mu.Lock()
	s.waiters.Remove(w)
	s.wakeFreeLocked()
	s.mu.Unlock()
	return nil
}

// dropWaiter removes a waiter that gives up; a permit it had been granted
// goes back (to the next waiter, if any).
func (s *Semaphore) dropWaiter(w *park.Waiter) {
	s.mu.Lock()
	s.waiters.Remove(w)
	if w.State() == park.Woken {
		s.value++ // granted, then cancelled before running
	}
	s.wakeFreeLocked()
	s.mu.Unlock()
}

// wakeFreeLocked grants every free permit to a pending waiter. Newcomers
// that queued behind a granted waiter while permits were free (FIFO) are
// due them once it has run (CPython 3.12+: after an acquire, while
// self._value > 0: self._wake_up_next()).
func (s *Semaphore) wakeFreeLocked() {
	for s.value > 0 && s.wakeNextLocked() {
	}
}

// TryAcquire takes a permit if one is free and no waiter is queued, and
// reports whether it did. It never waits.
// Python: threading.Semaphore.acquire(blocking=False).
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockedLocked() {
		return false
	}
	s.value--
	return true
}

// Release returns a permit: it goes to the oldest waiter, if any, else back
// to the semaphore. It never waits and may be called from anywhere.
// Python: Semaphore.release().
func (s *Semaphore) Release() {
	s.mu.Lock()
	s.value++
	s.wakeNextLocked()
	s.mu.Unlock()
}

// Locked reports whether Acquire would have to wait: no permit is free, or
// waiters are queued. Python: Semaphore.locked().
func (s *Semaphore) Locked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lockedLocked()
}

func (s *Semaphore) lockedLocked() bool {
	if s.value <= 0 {
		return true
	}
	// A waiter that is pending, or granted but not yet running, blocks
	// newcomers (asyncio: any(not w.cancelled() for w in waiters)), so
	// that nobody returns from Acquire before an older waiter. Cancelled
	// waiters met on the way are dropped; their owners find them gone.
	for w := s.waiters.Front(); w != nil; {
		if w.State() != park.Cancelled {
			return true
		}
		nx := w.Next()
		s.waiters.Remove(w)
		w = nx
	}
	return false
}

// wakeNextLocked grants a free permit to the oldest pending waiter, skipping
// those already granted (they stay queued until they run), and reports
// whether it woke one.
func (s *Semaphore) wakeNextLocked() bool {
	for w := s.waiters.Front(); w != nil; {
		nx := w.Next()
		switch w.State() {
		case park.Pending:
			if w.Wake() {
				s.value--
				return true
			}
			s.waiters.Remove(w) // cancelled while we looked
		case park.Cancelled:
			s.waiters.Remove(w)
		}
		w = nx
	}
	return false
}

// BoundedSemaphore is a Semaphore that refuses to be released more times
// than it was acquired: its permits never exceed the initial count.
// Python: asyncio.BoundedSemaphore, threading.BoundedSemaphore.
//
// Make one with NewBoundedSemaphore (the zero BoundedSemaphore has a bound
// of 0: every Acquire waits and every Release fails).
type BoundedSemaphore struct {
	s     Semaphore
	bound int
}

// NewBoundedSemaphore returns a bounded semaphore holding n permits, at most
// n at any time. A negative n is an error. Python: BoundedSemaphore(value).
func NewBoundedSemaphore(n int) (*BoundedSemaphore, error) {
	if n < 0 {
		return nil, fmt.Errorf("duet: NewBoundedSemaphore(%d): the number of permits must be >= 0", n)
	}
	return &BoundedSemaphore{s: Semaphore{value: n}, bound: n}, nil
}

// Acquire takes a permit; see Semaphore.Acquire.
func (b *BoundedSemaphore) Acquire(ctx context.Context) error { return b.s.Acquire(ctx) }

// TryAcquire takes a permit if one is free at once; see
// Semaphore.TryAcquire.
func (b *BoundedSemaphore) TryAcquire() bool { return b.s.TryAcquire() }

// Locked reports whether Acquire would have to wait; see Semaphore.Locked.
func (b *BoundedSemaphore) Locked() bool { return b.s.Locked() }

// Release returns a permit like Semaphore.Release. Releasing when every
// permit is already free returns an error matching ErrInvalidState and
// changes nothing (Python raises ValueError).
func (b *BoundedSemaphore) Release() error {
	s := &b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value >= b.bound {
		return errBoundedOverRelease
	}
	s.value++
	s.wakeNextLocked()
	return nil
}

var labelSemaphore = park.NewLabel("Semaphore.Acquire")
