package thread

import (
	"context"
	"fmt"
	"sync"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// RLock is a reentrant lock: its owner may acquire it again without
// blocking, and must release it as many times as it acquired it. Python:
// threading.RLock (asyncio has none). It is shared by threads, pool tasks,
// adopted goroutines and loop tasks, like duet's other primitives.
//
// Ownership. Go has no goroutine identity, so the owner is found in the
// context passed to Acquire and Release: the nearest of the Thread, pool
// worker (for a pool task), loop task, or WithIdentity goroutine that the
// context was derived from. Contexts derived from the owner's context
// (context.WithTimeout, WithValue, ...) count as the same owner. A
// goroutine that was handed its creator's context acts as that owner too:
// give it its own identity with WithIdentity (or start it as a Thread) if it
// must be a different one. A context with no identity at all (plain
// context.Background() on an unnamed goroutine) cannot own the lock:
// Acquire and Release return an error matching ErrNoIdentity rather than
// guess, since treating each context as its own owner would make a
// reentrant Acquire through a derived context deadlock.
//
// A pool task's owner is its worker, as in Python, where a task runs on a
// worker thread: a lock a task leaves held stays held by that worker for
// the next task it runs.
//
// Waiting. Acquire suspends a loop task (its loop runs other tasks) and
// blocks a goroutine. Release hands the lock to the oldest waiter, so
// waiters acquire it in arrival order.
//
// The zero RLock is unlocked and ready to use. An RLock must not be copied
// after first use.
type RLock struct {
	mu      sync.Mutex
	owner   any // *ident or park.Task; nil when unlocked
	count   int
	waiters park.List // each waiter's Val is the identity it waits for
}

// Acquire acquires l for the owner found in ctx: at once if l is unlocked or
// already owned by that owner (the count goes up), else after waiting for
// the owner to release it. It returns nil once the caller owns l.
//
// When ctx ends or the waiting task is cancelled first, Acquire returns an
// error matching duet.ErrCancelled (duet.ErrTimeout for a deadline) and the
// caller does not own l; a hand-off that arrived at the same moment is
// passed to the next waiter (a goroutine, like duet.Lock's, may keep it and
// return nil instead). A ctx without identity gives ErrNoIdentity.
//
// Python: RLock.acquire(blocking=True, timeout=-1).
func (l *RLock) Acquire(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("RLock.Acquire")
	}
	o := ownerOf(ctx)
	if o == nil {
		return noIdentity("RLock.Acquire")
	}
	l.mu.Lock()
	switch l.owner {
	case nil:
		l.owner, l.count = o, 1
		l.mu.Unlock()
		return nil
	case o:
		l.count++
		l.mu.Unlock()
		return nil
	}
	w := park.NewWaiter(ctx).Labeled(labelRLock, l)
	w.Val = o
	l.waiters.PushBack(w)
	l.mu.Unlock()

	granted, err := park.Wait(ctx, w, nil)
	if err == nil {
		return nil // Release made us the owner before waking us
	}
	l.mu.Lock()
	l.waiters.Remove(w)
	if granted {
		// A task's cancellation must be delivered: give the lock on.
		l.handOffLocked()
	}
	l.mu.Unlock()
	return err
}

// TryAcquire acquires l if it can do so without waiting and reports whether
// it did. Python: RLock.acquire(blocking=False). A ctx without identity
// gives ErrNoIdentity.
func (l *RLock) TryAcquire(ctx context.Context) (bool, error) {
	if ctx == nil {
		return false, nilCtx("RLock.TryAcquire")
	}
	o := ownerOf(ctx)
	if o == nil {
		return false, noIdentity("RLock.TryAcquire")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.owner {
	case nil:
		l.owner, l.count = o, 1
		return true, nil
	case o:
		l.count++
		return true, nil
	}
	return false, nil
}

// Release releases one level of ownership; the last release hands l to the
// oldest waiter. Only the owner may release: releasing an unlocked RLock or
// one owned by another returns an error matching duet.ErrInvalidState and
// changes nothing (Python: RuntimeError "cannot release un-acquired lock").
// A ctx without identity gives ErrNoIdentity. It never waits.
func (l *RLock) Release(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("RLock.Release")
	}
	o := ownerOf(ctx)
	if o == nil {
		return noIdentity("RLock.Release")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.owner {
	case nil:
		return fmt.Errorf("thread: RLock.Release: %w: the lock is not held (release only after a successful Acquire)", duet.ErrInvalidState)
	case o:
	default:
		return fmt.Errorf("thread: RLock.Release: %w: the caller (%s) does not own the lock (owner: %s); only the owner may release an RLock", duet.ErrInvalidState, describeOwner(o), describeOwner(l.owner))
	}
	l.count--
	if l.count == 0 {
		l.handOffLocked()
	}
	return nil
}

// handOffLocked makes the oldest waiter still waiting the owner, or unlocks.
func (l *RLock) handOffLocked() {
	for w := l.waiters.PopFront(); w != nil; w = l.waiters.PopFront() {
		l.owner, l.count = w.Val, 1
		if w.Wake() {
			return
		}
	}
	l.owner, l.count = nil, 0
}

// Locked reports whether l is held by anyone. Python: RLock.locked() (3.14).
func (l *RLock) Locked() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner != nil
}

// OwnedBy reports whether the owner found in ctx holds l (Python: the
// private RLock._is_owned(), which Condition uses).
func (l *RLock) OwnedBy(ctx context.Context) bool {
	o := ownerOf(ctx)
	if o == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner == o
}

// describeOwner names an owner for an error message: a thread by name and
// id, a loop task by its name (aio's task has a Name method; park.Task
// does not require one, and printing the task itself would show its
// internals).
func describeOwner(o any) string {
	switch o := o.(type) {
	case *ident:
		return fmt.Sprintf("thread %q (id %d)", o.name, o.id)
	case interface{ Name() string }:
		return fmt.Sprintf("loop task %q", o.Name())
	case park.Task:
		return "a loop task"
	}
	return fmt.Sprint(o)
}

var labelRLock = park.NewLabel("RLock.Acquire")
