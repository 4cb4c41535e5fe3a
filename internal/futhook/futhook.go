// Package futhook lets the loop bind a task to its duet.Future without
// widening the Future's public API. The root package installs Bind at init.
package futhook

import (
	"sync/atomic"

	"github.com/duet-go/duet/internal/park"
)

// Failure is the error of a failed future, shared with whoever must report it
// if nobody ever retrieves it.
type Failure struct {
	Err   error
	taken atomic.Bool
}

// Take marks the failure as handled and reports whether this call was the
// first to do so.
func (f *Failure) Take() bool { return f.taken.CompareAndSwap(false, true) }

// Taken reports whether the failure was retrieved or reported.
func (f *Failure) Taken() bool { return f.taken.Load() }

// Owner produces a future's outcome: its Cancel replaces the future's own,
// and OnFailure hears when the future completes with an error other than
// cancellation. A nil OnFailure-side effect is fine.
type Owner interface {
	Cancel(msg string) bool
	OnFailure(*Failure)
}

// Unstoppable marks an Owner whose work cannot be stopped once it runs (a
// thread): a loop task cancelled while it awaits such a future stops
// waiting and leaves the work running, as it does for a running pool job.
type Unstoppable interface {
	Owner
	Unstoppable()
}

// TaskProducer is an Owner that is a loop task: Await refuses to make a
// task wait for its own outcome.
type TaskProducer interface {
	Producer() park.Task
}

// Inline is an Owner that can start its work right away in the step of the
// loop task about to await it, when that cannot change the order of events
// (see aio's taskOwner.RunNow); w is aw's waiter, Target set, not yet
// subscribed.
type Inline interface {
	RunNow(aw park.Task, w *park.Waiter) (ran bool, err error)
}

// Bind makes owner the producer of fut, a *duet.Future[T].
var Bind func(fut any, owner Owner)
