package duet

import (
	"context"
	"fmt"
	"sync"

	"github.com/duet-go/duet/internal/park"
)

var (
	errCondWaitUnlocked   = fmt.Errorf("duet: Condition.Wait: %w: the condition's lock is not held (Acquire it before Wait)", ErrInvalidState)
	errCondNotifyUnlocked = fmt.Errorf("duet: Condition.Notify: %w: the condition's lock is not held (Acquire it before Notify or NotifyAll)", ErrInvalidState)
	errCondNilPredicate   = fmt.Errorf("duet: Condition.WaitFor: nil predicate (pass a func() bool that reads the shared state)")
)

// Condition is a condition variable shared by loop tasks and goroutines: the
// one condition of asyncio.Condition and threading.Condition. It is bound to
// a Lock, which guards the state the waiters are interested in.
//
// Wait releases the lock, waits to be notified and re-acquires the lock
// before it returns, always, even when cancelled (as asyncio does). Notify
// and NotifyAll must be called with the lock held. Waiters are notified in
// the order they started waiting; a notified waiter returns only once it has
// re-acquired the lock, so others may run in between: re-check the state
// after Wait, or use WaitFor.
//
// A waiter that is notified but then returns an error, because it was
// cancelled before it ran or while it re-acquired the lock, forwards the
// notification to the next waiter (the Python 3.13 fix of gh-112202), so
// cancellation never loses a notification. Unlike Python, a waiter that was
// not notified forwards nothing, so cancellation causes no spurious wake-up.
//
// The zero Condition is ready to use with a lock of its own. A Condition
// must not be copied after first use.
type Condition struct {
	own     Lock
	lock    *Lock      // nil: own
	mu      sync.Mutex // guards waiters
	waiters park.List  // pending and cancelled waiters; notified ones are removed
}

// NewCondition returns a condition bound to l, or to a new Lock when l is
// nil. Several conditions may share one Lock. Python: Condition(lock=None).
func NewCondition(l *Lock) *Condition {
	return &Condition{lock: l}
}

func (c *Condition) l() *Lock {
	if c.lock != nil {
		return c.lock
	}
	return &c.own
}

// Acquire acquires the condition's lock (see Lock.Acquire).
func (c *Condition) Acquire(ctx context.Context) error { return c.l().Acquire(ctx) }

// TryAcquire acquires the condition's lock if it can do so at once (see
// Lock.TryAcquire).
func (c *Condition) TryAcquire() bool { return c.l().TryAcquire() }

// Release releases the condition's lock (see Lock.Release).
func (c *Condition) Release() error { return c.l().Release() }

// Locked reports whether the condition's lock is held.
func (c *Condition) Locked() bool { return c.l().Locked() }

// Wait releases the condition's lock, waits until Notify or NotifyAll wakes
// it, then re-acquires the lock and returns. The caller must hold the lock:
// otherwise Wait returns an error matching ErrInvalidState at once.
//
// On a loop task it suspends the task; on a goroutine it blocks. When the
// task is cancelled or ctx ends during the wait, Wait still re-acquires the
// lock before it returns the error (matching ErrCancelled, or ErrTimeout for
// a deadline): whatever Wait returns, the caller holds the lock again and
// must release it. Re-acquiring ignores ctx (a goroutine waits for the lock
// however long it takes); a task cancelled again while it re-acquires keeps
// re-acquiring and returns the last cancellation, as Python 3.13 does.
//
// Python: await asyncio.Condition.wait(), threading.Condition.wait(timeout=).
func (c *Condition) Wait(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Condition.Wait")
	}
	l := c.l()
	if !l.Locked() {
		return errCondWaitUnlocked
	}
	// Register before releasing, so that a Notify that follows the
	// Release cannot miss this waiter.
	w := park.NewWaiter(ctx).Labeled(labelCondition, c)
	c.mu.Lock()
	c.waiters.PushBack(w)
	c.mu.Unlock()
	if err := l.Release(); err != nil {
		// Someone else released the lock since the check above.
		c.mu.Lock()
		c.waiters.Remove(w)
		c.mu.Unlock()
		return errCondWaitUnlocked
	}

	notified, err := park.Wait(ctx, w, c.dropWaiter)
	if err != nil && !notified {
		c.mu.Lock()
		c.waiters.Remove(w)
		c.mu.Unlock()
	}

	// Re-acquire whatever happened. WithoutCancel keeps the task (a
	// context value) but drops ctx's end, which has been reported already:
	// only a new task cancellation can interrupt the acquire, and that one
	// is retried too.
	if !l.state.CompareAndSwap(0, lockLocked) {
		rctx := context.WithoutCancel(ctx)
		for {
			aerr := l.Acquire(rctx)
			if aerr == nil {
				break
			}
			err = aerr
		}
	}
	if err != nil && notified {
		// Notified, but returning an error (cancelled before it ran, or
		// while it re-acquired the lock): the caller will not act on the
		// notification, so hand it to another waiter (gh-112202).
		c.mu.Lock()
		c.notifyLocked(1)
		c.mu.Unlock()
	}
	return err
}

// WaitFor waits until pred returns true and returns true: it calls pred
// (with the lock held) and Waits while pred is false. The caller must hold
// the lock, and holds it again when WaitFor returns. When a Wait fails (the
// task is cancelled, ctx ends) WaitFor returns false and that error; with a
// nil pred it returns an error at once.
//
// Python: asyncio.Condition.wait_for(predicate) (which returns the
// predicate's last value), threading.Condition.wait_for(predicate, timeout).
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	if pred == nil {
		return false, errCondNilPredicate
	}
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Notify wakes up to n waiters, oldest first; n <= 0 wakes none. The caller
// must hold the lock (else it returns an error matching ErrInvalidState and
// wakes nobody). The notified waiters return from Wait only once they
// re-acquire the lock, so the caller should release it soon.
// Python: Condition.notify(n=1).
func (c *Condition) Notify(n int) error {
	if !c.l().Locked() {
		return errCondNotifyUnlocked
	}
	c.mu.Lock()
	c.notifyLocked(n)
	c.mu.Unlock()
	return nil
}

// NotifyAll wakes every waiter. The caller must hold the lock (else it
// returns an error matching ErrInvalidState). Python: Condition.notify_all().
func (c *Condition) NotifyAll() error {
	if !c.l().Locked() {
		return errCondNotifyUnlocked
	}
	c.mu.Lock()
	ws := c.waiters.Detach()
	c.mu.Unlock()
	park.WakeChain(ws)
	return nil
}

// dropWaiter removes a waiter whose task is destroyed while it waits,
// forwarding a notification it had received. (Such a task cannot re-acquire
// the lock: it unwinds without waiting again.)
func (c *Condition) dropWaiter(w *park.Waiter) {
	c.mu.Lock()
	if !c.waiters.Remove(w) && w.State() == park.Woken {
		c.notifyLocked(1)
	}
	c.mu.Unlock()
}

// notifyLocked wakes up to n pending waiters, dropping cancelled ones.
func (c *Condition) notifyLocked(n int) {
	for n > 0 {
		w := c.waiters.PopFront()
		if w == nil {
			return
		}
		if w.Wake() {
			n--
		}
	}
}

var labelCondition = park.NewLabel("Condition.Wait")
