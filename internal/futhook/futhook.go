// Package futhook is the protocol between a duet.Future and what produces
// its outcome (a loop task, a thread, a group's child): an Owner, bound to
// the future without widening the Future's public API. The root package
// owns the Future and implements Binder; aio and thread, which import the
// root package, bind their owners through Bind.
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

// Binder is the root package's side of the protocol: Bind makes owner the
// producer of fut, which must be a *duet.Future[T] not yet shared: the
// future's Cancel then goes to the owner, and a failure is reported to it.
// The root package installs its Binder once, from its init, with
// SetBinder; it cannot be imported by the packages below it, which is why
// this is an interface and not a function of the root package.
type Binder interface {
	Bind(fut any, owner Owner)
}

var binder Binder

// SetBinder installs the root package's Binder.
func SetBinder(b Binder) { binder = b }

// Bind makes owner the producer of fut (see Binder).
func Bind(fut any, owner Owner) { binder.Bind(fut, owner) }
