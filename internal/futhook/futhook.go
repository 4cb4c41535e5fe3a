// Package futhook lets the loop bind a task to its duet.Future without
// widening the Future's public API. The root package installs Bind at init.
package futhook

import "sync/atomic"

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

// Bind sets, on a *duet.Future[T] fut, the function its Cancel calls and the
// function told when it completes with an error other than cancellation.
var Bind func(fut any, cancel func(msg string) bool, onFail func(*Failure))
