package duet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/park"
)

const (
	futPending uint32 = iota
	futRunning
	futDone
	futCancelled
)

// Future is the one future of duet: the eventual value or error of a
// computation, shared by loop tasks, goroutines and thread pools.
//
// A Future is safe for concurrent use. It completes once, with a value, an
// error, or as cancelled; later attempts to complete it fail with
// ErrInvalidState. Await waits for it from a loop task (suspending only the
// task) or from a goroutine (blocking it); Done gives a channel for select.
//
// Python: asyncio.Future and concurrent.futures.Future, which duet merges.
// The zero Future is not usable; make one with NewFuture.
type Future[T any] struct {
	state   atomic.Uint32
	mu      sync.Mutex
	detach  bool          // the owner is futhook.Unstoppable
	done    chan struct{} // made lazily by Done
	waiters park.List     // tasks, goroutines and callbacks, in order
	value   T
	err     error
	fail    *futhook.Failure // set when failed, for unretrieved-error reports
	owner   futhook.Owner    // a task or pool job producing the outcome, or nil
}

// NewFuture returns a pending future.
func NewFuture[T any]() *Future[T] { return &Future[T]{} }

func init() {
	futhook.SetBinder(internals{})
	park.SetErrors(internals{})
}

// internals is the root package's side of the internal protocols
// (futhook.Binder, park.Errors): the internal packages cannot import the
// package that owns the Future and the error types.
type internals struct{}

func (internals) Bind(fut any, owner futhook.Owner) { fut.(binder).bind(owner) }

func (internals) CtxErr(ctx context.Context) error { return ctxCancelled(ctx) }

type binder interface{ bind(futhook.Owner) }

func (f *Future[T]) bind(owner futhook.Owner) {
	f.owner = owner
	_, f.detach = owner.(futhook.Unstoppable)
}

// Future returns f itself, making every *Future an Awaitable.
func (f *Future[T]) Future() *Future[T] { return f }

// Done returns a channel that is closed when f completes.
func (f *Future[T]) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		f.done = make(chan struct{})
		if f.state.Load() >= futDone {
			close(f.done)
		}
	}
	return f.done
}

// IsDone reports whether f has completed (with a value, an error, or as
// cancelled). It never blocks.
func (f *Future[T]) IsDone() bool { return f.state.Load() >= futDone }

// Cancelled reports whether f completed as cancelled.
func (f *Future[T]) Cancelled() bool { return f.state.Load() == futCancelled }

// Running reports whether a producer marked f as running (SetRunning).
func (f *Future[T]) Running() bool { return f.state.Load() == futRunning }

// Result returns f's value and error without blocking. A pending future
// gives ErrInvalidState; a cancelled one an error matching ErrCancelled.
// Retrieving the error marks it as seen, so it is not reported as lost.
func (f *Future[T]) Result() (T, error) {
	if f.state.Load() < futDone {
		var zero T
		return zero, pendingErr
	}
	if f.fail != nil {
		f.fail.Take()
	}
	return f.value, f.err
}

// Err returns f's error, or nil, without blocking (Python: exception()).
func (f *Future[T]) Err() error {
	_, err := f.Result()
	return err
}

// One error each, wrapping their sentinel alone: errors.Join would make
// them look like a group of several failures.
var (
	pendingErr          = fmt.Errorf("duet: result of a pending future: %w", ErrInvalidState)
	errAlreadyCompleted = fmt.Errorf("duet: future already completed: %w", ErrInvalidState)
)

// SetResult completes f with v. It fails with ErrInvalidState when f is
// already complete.
func (f *Future[T]) SetResult(v T) error {
	return f.Complete(v, nil)
}

// SetError completes f with err (which must not be nil). An error matching
// ErrCancelled completes f as cancelled.
func (f *Future[T]) SetError(err error) error {
	if err == nil {
		return errors.New("duet: SetError(nil): use SetResult for success")
	}
	var zero T
	return f.Complete(zero, err)
}

// Complete completes f with v and err, the way a Go function returns: err ==
// nil means success with v; an error matching ErrCancelled means cancelled.
// It fails with ErrInvalidState when f is already complete.
func (f *Future[T]) Complete(v T, err error) error {
	state := futDone
	if err != nil && errors.Is(err, ErrCancelled) {
		state = futCancelled
	}
	if !f.finish(v, err, state, false) {
		return errAlreadyCompleted
	}
	return nil
}

// SetRunning marks f as running so that Cancel no longer succeeds. It
// reports false when f was cancelled first, in which case the producer must
// not run the work. Python: set_running_or_notify_cancel.
func (f *Future[T]) SetRunning() bool {
	return f.state.CompareAndSwap(futPending, futRunning)
}

// Cancel cancels f and schedules its callbacks. It reports false when f is
// already complete or running. msg travels in the CancelledError.
//
// For a task's future, Cancel requests the task's cancellation instead (see
// aio.Task.Cancel): the future completes when the task ends.
func (f *Future[T]) Cancel(msg string) bool { return f.cancelVia(msg, nil) }

// cancelVia is Cancel on behalf of the waiting tasks in via (see
// park.Relay): the path travels on to a task producing f.
func (f *Future[T]) cancelVia(msg string, via *park.Via) bool {
	if f.owner != nil {
		return park.CancelVia(f.owner, msg, via)
	}
	var zero T
	return f.finish(zero, &CancelledError{Msg: msg}, futCancelled, true)
}

// finish completes f; outside is true for Cancel, which a running future
// refuses (concurrent.futures semantics) while its producer may still end it.
func (f *Future[T]) finish(v T, err error, state uint32, outside bool) bool {
	f.mu.Lock()
	if s := f.state.Load(); s >= futDone || (outside && s == futRunning) {
		f.mu.Unlock()
		return false
	}
	f.value, f.err = v, err
	if err != nil && state == futDone && f.owner != nil {
		f.fail = &futhook.Failure{Err: err}
	}
	f.state.Store(state)
	if f.done != nil {
		close(f.done)
	}
	ws := f.waiters.Detach()
	f.mu.Unlock()
	park.WakeChain(ws)
	if f.fail != nil {
		f.owner.OnFailure(f.fail)
	}
	return true
}

// AddDoneCallback arranges for fn(f) to run once f completes, in the world
// ctx belongs to: on ctx's event loop, scheduled like any callback (Python's
// asyncio.Future.add_done_callback), or else synchronously in the goroutine
// that completes f (concurrent.futures.Future.add_done_callback). If f is
// already complete, fn is scheduled on the loop, or called before
// AddDoneCallback returns. Callbacks run in the order they were added. A
// callback meant for a loop that has closed runs in the completing
// goroutine instead: it is never dropped.
//
// A callback that runs in the completing goroutine (a goroutine-world one,
// or a loop's whose loop has closed) and panics is logged with log/slog and
// the next one runs: its failure never reaches whoever completed f (Python
// logs it too). On a running loop a callback's panic goes to the loop like
// any callback's.
//
// It returns nil once fn is registered (or, for a complete f, scheduled or
// run). A nil ctx (see ErrNilContext) or a nil fn is refused at the call
// with an error, and nothing is
// registered, rather than failing later in whichever goroutine completes f;
// Python's add_done_callback(None) fails only when the callback is called.
// With a fn that is known not to be nil the result may be ignored.
func (f *Future[T]) AddDoneCallback(ctx context.Context, fn func(*Future[T])) error {
	if ctx == nil {
		return nilCtx("Future.AddDoneCallback")
	}
	if fn == nil {
		return errNilCallback
	}
	var w *park.Waiter
	if l := park.LoopOf(ctx); l != nil {
		w = park.Func(func() {
			if !l.Post(func() { fn(f) }) {
				f.runCallback(fn) // the loop is closed: run it here rather than lose it
			}
		})
	} else {
		w = park.Func(func() { f.runCallback(fn) })
	}
	f.mu.Lock()
	if f.state.Load() < futDone {
		f.waiters.PushBack(w)
		f.mu.Unlock()
		return nil
	}
	f.mu.Unlock()
	w.Wake()
	return nil
}

var errNilCallback = errors.New("duet: AddDoneCallback with a nil function (fn must not be nil)")

// runCallback runs a done callback in the goroutine that completes f. A
// panicking callback must not stop the wake-ups after it nor reach whoever
// completed f (Python logs and goes on too), so it is recovered and logged.
func (f *Future[T]) runCallback(fn func(*Future[T])) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("duet: a Future's done callback panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(f)
}

// subscribe registers w to be woken at completion; it reports false (and
// leaves w alone) when f is already complete.
func (f *Future[T]) subscribe(w *park.Waiter) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state.Load() >= futDone {
		return false
	}
	f.waiters.PushBack(w)
	return true
}

func (f *Future[T]) unsubscribe(w *park.Waiter) {
	f.mu.Lock()
	f.waiters.Remove(w)
	f.mu.Unlock()
}
