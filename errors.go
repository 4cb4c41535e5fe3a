package duet

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/duet-go/duet/internal/park"
)

// ErrCancelled matches (with errors.Is) every cancellation duet reports: a
// cancelled task or future, a wait abandoned because its context ended.
// Python: asyncio.CancelledError and concurrent.futures.CancelledError.
var ErrCancelled = errors.New("duet: cancelled")

// ErrTimeout matches (with errors.Is) every timeout duet reports.
// Python: TimeoutError (asyncio.TimeoutError since 3.11).
var ErrTimeout = errors.New("duet: timeout")

// ErrInvalidState is returned for an operation that the state of a future or
// primitive does not allow, such as setting the result of a finished future.
// Python: asyncio.InvalidStateError.
var ErrInvalidState = errors.New("duet: invalid state")

// ErrClosed is returned by operations on a closed loop, pool or queue.
var ErrClosed = errors.New("duet: closed")

// ErrNilContext matches the error of every duet call that waits,
// schedules or starts work when given a nil context.Context. Go's rule is
// never to pass a nil Context; duet enforces it rather than guess which
// world the caller is in, since a task taken for a goroutine would block
// its whole loop. Calls that only derive or inspect a context (TimeoutFrom,
// aio.LoopOf, aio.CurrentTask, aio.WithLoop, thread.Current,
// thread.WithIdentity, RLock.OwnedBy, Local.Get) report nothing for nil,
// or pass it through.
var ErrNilContext = errors.New("duet: nil context.Context (pass the ctx your task or goroutine was given, or context.Background() where there is none)")

// nilCtx is call's refusal of a nil context.
func nilCtx(call string) error { return fmt.Errorf("duet.%s: %w", call, ErrNilContext) }

// ErrNilAwaitable is returned by Await and the combinators when given nil.
var ErrNilAwaitable = errors.New("duet: nil Awaitable (pass a *Future or a task)")

// CancelledError is the error of a cancellation. Msg is the message given to
// Cancel, if any; Cause is the context's cause when a context ended the wait.
// It matches ErrCancelled and context.Canceled.
type CancelledError struct {
	Msg   string
	Cause error
}

// Error describes the cancellation, with its message or cause.
func (e *CancelledError) Error() string {
	switch {
	case e.Msg != "":
		return "duet: cancelled: " + e.Msg
	case e.Cause != nil && e.Cause != context.Canceled:
		return "duet: cancelled: " + e.Cause.Error()
	}
	return "duet: cancelled"
}

// Is reports whether target is ErrCancelled or context.Canceled.
func (e *CancelledError) Is(target error) bool {
	return target == ErrCancelled || target == context.Canceled
}

// Unwrap returns the context's cause, if any.
func (e *CancelledError) Unwrap() error { return e.Cause }

// TimeoutError is the error of an expired timeout. It matches ErrTimeout and
// context.DeadlineExceeded. Cause is the cancellation the timeout delivered
// (Python chains TimeoutError from the CancelledError the same way); it is
// deliberately not unwrapped, so that a timeout never reads as a
// cancellation: a task that returns a TimeoutError failed, it was not
// cancelled.
type TimeoutError struct {
	Cause error
}

// Error returns "duet: timeout".
func (e *TimeoutError) Error() string { return "duet: timeout" }

// Is reports whether target is ErrTimeout or context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// PanicError carries a panic recovered from a task, a goroutine or a pool
// worker to whoever awaits it, with the stack of the goroutine that panicked.
// If the panic value is an error, errors.Is and errors.As see it.
type PanicError struct {
	Value any
	Stack []byte
}

// NewPanicError captures the current stack for a value just recovered.
func NewPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// Error describes the panic value followed by the stack it was raised on.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// cancelled builds the error a context's end produces.
func ctxCancelled(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrCancelled) {
		return cause
	}
	if cause == context.DeadlineExceeded {
		return &TimeoutError{Cause: cause}
	}
	return &CancelledError{Cause: cause}
}

// threadTimeoutError is the timeout of a goroutine's wait in an operation
// whose threading-world Python counterpart raises its own exception on a
// timeout: queue.Get raises queue.Empty, queue.Put queue.Full,
// threading.Barrier.wait BrokenBarrierError. It is the *TimeoutError
// (errors.Is ErrTimeout, errors.As *TimeoutError, through Unwrap) and also
// matches that exception's sentinel, so that code written in Go's way or in
// Python's works. One error, not errors.Join: its text is the timeout's.
type threadTimeoutError struct {
	timeout error // the wait's *TimeoutError
	also    error // matched too: ErrQueueEmpty, ErrQueueFull, a barrier error
}

func (e *threadTimeoutError) Error() string { return e.timeout.Error() + " (" + e.also.Error() + ")" }

// Is reports whether target is matched by the Python-style error.
func (e *threadTimeoutError) Is(target error) bool { return errors.Is(e.also, target) }

// Unwrap returns the *TimeoutError.
func (e *threadTimeoutError) Unwrap() error { return e.timeout }

// threadTimeout returns err, the error that ended w's wait, made to match
// also as well when w is a goroutine's and err a timeout. A task's timeout
// stays ErrTimeout only: asyncio.wait_for(q.get()) raises TimeoutError, not
// QueueEmpty.
func threadTimeout(w *park.Waiter, err, also error) error {
	if w.Task() != nil || !errors.Is(err, ErrTimeout) {
		return err
	}
	return &threadTimeoutError{timeout: err, also: also}
}
