package duet

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet/internal/park"
)

// Lock state word bits. The word is changed without the mutex only by the
// two fast paths, CAS(0 -> lockLocked) and CAS(lockLocked -> 0), which both
// require lockQueued to be clear; while lockQueued is set, every change goes
// through the mutex, so the waiter list and the word cannot disagree.
const (
	lockLocked uint32 = 1 << iota // the lock is held
	lockQueued                    // the waiter list is not empty
)

var (
	errLockNotLocked = fmt.Errorf("duet: Lock.Release: %w: the lock is not locked (release a lock only after a successful Acquire or TryAcquire)", ErrInvalidState)
)

// Lock is a mutual-exclusion lock shared by loop tasks and goroutines: the
// one lock of asyncio.Lock and threading.Lock.
//
// Acquire from a loop task suspends only that task while the lock is held
// (its loop runs other tasks); Acquire from a goroutine blocks the goroutine.
// Tasks of several loops and goroutines may contend for one Lock.
//
// A Lock is fair in asyncio's way (3.11+): waiters acquire it in arrival
// order, and Acquire takes the fast path only when the lock is free and no
// waiter that has not been cancelled is queued, so a newcomer never barges
// past a waiter that Release has woken but that has not run yet. Release is
// not a hand-off: it unlocks and wakes the oldest waiter, which takes the
// lock when it runs. A woken waiter that is cancelled before it runs passes
// the wake-up on to the next one, so no wake-up is lost.
//
// Like Python's locks (and unlike sync.Mutex) a Lock is not owned: any task
// or goroutine may release it. It is not reentrant. Strict FIFO costs
// throughput when many goroutines contend (every contended Acquire queues);
// code that only ever runs on goroutines may prefer sync.Mutex.
//
// The zero Lock is unlocked and ready to use. A Lock must not be copied
// after first use.
type Lock struct {
	state   atomic.Uint32
	mu      sync.Mutex
	waiters park.List // guarded by mu; holds pending, woken and cancelled waiters
}

// Acquire locks l, waiting while it is held or while earlier waiters are
// queued. It returns nil once the lock is held by the caller.
//
// On a loop task (ctx is the task's context, or derived from it) it
// suspends the task; on a goroutine it blocks. It returns an error matching
// ErrCancelled when the waiting task is cancelled or when ctx ends first (a
// deadline gives an error matching ErrTimeout); then the lock is not held,
// and a wake-up the waiter had already received is passed to the next
// waiter. A goroutine whose ctx ends at the moment the lock is granted may
// get either outcome; nil always means the lock is held.
//
// An uncontended Acquire neither suspends nor looks at ctx, like asyncio's
// acquire, which does not yield when the lock is free: it succeeds even if
// ctx is already done.
//
// Python: await asyncio.Lock.acquire(), threading.Lock.acquire(timeout=).
func (l *Lock) Acquire(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Lock.Acquire")
	}
	if l.state.CompareAndSwap(0, lockLocked) {
		return nil
	}
	return l.acquireSlow(ctx)
}

func (l *Lock) acquireSlow(ctx context.Context) error {
	l.mu.Lock()
	for {
		if l.lockOrQueueLocked() {
			l.syncQueuedLocked()
			l.mu.Unlock()
			return nil
		}
		w := park.NewWaiter(ctx).Labeled(labelLock, l)
		l.waiters.PushBack(w)
		l.mu.Unlock()

		_, err := park.Wait(ctx, w, l.dropWaiter)

		if err != nil {
			l.dropWaiter(w)
			return err
		}
		l.mu.Lock()
		l.waiters.Remove(w)
		// Woken (a goroutine whose ctx ended just as it was woken takes
		// the lock too). While this waiter was the woken one nobody
		// could take the lock (see lockOrQueueLocked), so this succeeds;
		// the loop only guards against misuse, such as a Release racing
		// with the Release that woke us.
		if l.setLockedLocked() {
			l.syncQueuedLocked()
			l.mu.Unlock()
			return nil
		}
	}
}

// dropWaiter removes a waiter that gives up. If the lock is free, the
// wake-up it had (or a Release that found only it) must not be lost.
func (l *Lock) dropWaiter(w *park.Waiter) {
	l.mu.Lock()
	l.waiters.Remove(w)
	if l.state.Load()&lockLocked == 0 {
		l.wakeFirstLocked()
	}
	l.syncQueuedLocked()
	l.mu.Unlock()
}

// lockOrQueueLocked takes the lock if it is free and no live waiter is
// queued; otherwise it sets lockQueued, with a CAS against the state it
// judged, so that from then on no fast-path Release can unlock without
// seeing the waiter the caller is about to queue.
func (l *Lock) lockOrQueueLocked() bool {
	for {
		s := l.state.Load()
		if s&lockLocked == 0 && !l.liveWaiterLocked() {
			if l.state.CompareAndSwap(s, s|lockLocked) {
				return true
			}
			continue
		}
		if l.state.CompareAndSwap(s, s|lockQueued) {
			return false
		}
	}
}

// TryAcquire locks l if it can do so at once under the same fairness rule as
// Acquire (free, and no waiter queued that has not been cancelled) and
// reports whether it did. It never waits. Python: Lock.acquire(blocking=False).
func (l *Lock) TryAcquire() bool {
	s := l.state.Load()
	if s == 0 && l.state.CompareAndSwap(0, lockLocked) {
		return true
	}
	if s&lockLocked != 0 {
		return false
	}
	l.mu.Lock()
	ok := l.tryLockLocked()
	l.mu.Unlock()
	return ok
}

// Release unlocks l and wakes the oldest waiter, which takes the lock when
// it next runs (so Locked reports false in between, as in asyncio). It never
// waits and may be called from any task or goroutine. Releasing a lock that
// is not locked returns an error matching ErrInvalidState and changes
// nothing. Python: Lock.release() (RuntimeError when unlocked).
func (l *Lock) Release() error {
	if l.state.CompareAndSwap(lockLocked, 0) {
		return nil
	}
	return l.releaseSlow()
}

func (l *Lock) releaseSlow() error {
	l.mu.Lock()
	for {
		s := l.state.Load()
		if s&lockLocked == 0 {
			l.mu.Unlock()
			return errLockNotLocked
		}
		if l.state.CompareAndSwap(s, s&^lockLocked) {
			break
		}
	}
	l.wakeFirstLocked()
	l.syncQueuedLocked()
	l.mu.Unlock()
	return nil
}

// Locked reports whether l is held. Python: Lock.locked().
func (l *Lock) Locked() bool { return l.state.Load()&lockLocked != 0 }

// tryLockLocked takes the lock if it is free and no live waiter is queued.
func (l *Lock) tryLockLocked() bool {
	if l.state.Load()&lockLocked != 0 || l.liveWaiterLocked() {
		return false
	}
	l.syncQueuedLocked()
	return l.setLockedLocked()
}

// setLockedLocked sets the locked bit if it is clear (fast paths may race
// with it while lockQueued is clear).
func (l *Lock) setLockedLocked() bool {
	for {
		s := l.state.Load()
		if s&lockLocked != 0 {
			return false
		}
		if l.state.CompareAndSwap(s, s|lockLocked) {
			return true
		}
	}
}

// liveWaiterLocked reports whether a waiter that has not been cancelled is
// queued (asyncio: not all(w.cancelled() for w in waiters)). Cancelled
// waiters met on the way are dropped; their owners find them gone.
func (l *Lock) liveWaiterLocked() bool {
	for w := l.waiters.Front(); w != nil; {
		if w.State() != park.Cancelled {
			return true
		}
		nx := w.Next()
		l.waiters.Remove(w)
		w = nx
	}
	return false
}

// wakeFirstLocked wakes the oldest live waiter unless it is already woken:
// a woken waiter will take the lock or, if cancelled, pass the wake-up on.
// So at most one waiter is woken at a time, and it is the first live one.
func (l *Lock) wakeFirstLocked() {
	for w := l.waiters.Front(); w != nil; w = l.waiters.Front() {
		switch w.State() {
		case park.Woken:
			return
		case park.Pending:
			if w.Wake() {
				return
			}
		}
		l.waiters.Remove(w) // cancelled (possibly just now, racing Wake)
	}
}

// syncQueuedLocked makes lockQueued reflect whether the list is empty.
func (l *Lock) syncQueuedLocked() {
	if l.waiters.Len() == 0 {
		l.state.And(^lockQueued)
	} else {
		l.state.Or(lockQueued)
	}
}

var labelLock = park.NewLabel("Lock.Acquire")
