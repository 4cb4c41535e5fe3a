package thread

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/futhook"
)

// Thread is a function running on a goroutine of its own, truly in parallel
// with the rest of the program (Go has no GIL), with a name, an identity and
// an outcome: the function's value and error. Python: threading.Thread,
// whose run() cannot return a value; here the outcome is a duet.Future, so a
// Thread is an Awaitable that loop tasks and goroutines can wait for alike.
//
// The function receives a context that carries the caller's values and
// cancellation plus the thread's identity (see RLock, Local, Current). That
// context hides any loop task the caller's context belongs to: code on a
// thread waits like a goroutine, it is not on the loop.
//
// A thread cannot be cancelled from outside (Python threads cannot be
// either); stop one cooperatively by cancelling the context given to Start,
// which its function sees.
//
// A panic in the function becomes the thread's error, a *duet.PanicError
// with the stack. An error that nobody retrieves goes to the except hook
// (see SetExceptHook).
type Thread[T any] struct {
	core threadCore
	fut  duet.Future[T]
}

// threadCore is the untyped part of a Thread.
type threadCore struct {
	ident
	ctx   identCtx
	alive atomic.Bool
}

// threadSeq numbers default thread names, like Python's Thread-N.
var threadSeq atomic.Uint64

var errGoexit = errors.New("thread: the function exited without returning (runtime.Goexit was called on its goroutine)")

// Start runs fn on a new goroutine as a thread named name ("Thread-N" when
// name is empty) and returns at once. Python: threading.Thread(target=fn,
// name=name).start(); creation and start are one step here, so a thread
// cannot be started twice.
//
// fn's context carries ctx's values and cancellation and the new thread's
// identity. A nil ctx means context.Background(). A nil fn gives a thread
// that has already failed with an error saying so.
func Start[T any](ctx context.Context, name string, fn func(ctx context.Context) (T, error)) *Thread[T] {
	if ctx == nil {
		t := newThread[T](context.Background(), name)
		t.fut.SetError(nilCtx("Start"))
		return t
	}
	t := newThread[T](ctx, name)
	c := &t.core
	if fn == nil {
		t.fut.SetError(fmt.Errorf("thread: Start(%q) with a nil function", c.name))
		return t
	}
	t.fut.SetRunning()
	c.alive.Store(true)
	register(&c.ident)
	go t.run(fn)
	return t
}

// newThread makes the thread Start runs, with its identity and name
// ("Thread-N" when name is empty) and its future bound to it, so that a
// failure nobody retrieves reaches the except hook; it does not run.
func newThread[T any](ctx context.Context, name string) *Thread[T] {
	t := &Thread[T]{}
	c := &t.core
	c.id = idSeq.Add(1)
	c.name = name
	if name == "" {
		c.name = "Thread-" + strconv.FormatUint(threadSeq.Add(1), 10)
	}
	c.ctx = identCtx{Context: ctx, id: &c.ident}
	futhook.Bind(&t.fut, (*threadOwner[T])(t))
	return t
}

func (t *Thread[T]) run(fn func(ctx context.Context) (T, error)) {
	var v T
	var err error
	returned := false
	defer func() {
		if !returned {
			err = abnormalEnd(recover())
		}
		t.core.alive.Store(false)
		unregister(&t.core.ident)
		complete(&t.fut, v, err)
	}()
	v, err = fn(&t.core.ctx)
	returned = true
}

// Join waits until the thread has ended and returns its value and error.
// Retrieving the error this way (or with Await, Result or Err) keeps it from
// the except hook. Python: Thread.join(timeout), which returns nothing.
//
// On a loop task it suspends the task, on a goroutine it blocks. It gives up
// when ctx ends, or when the waiting task is cancelled: then it returns an
// error matching duet.ErrCancelled (duet.ErrTimeout for a deadline) and the
// thread goes on running; as in Python, check IsAlive to tell a join that
// gave up from a thread that failed with such an error. Unlike Await on the
// thread's Future, whose cancellation a task cannot deliver to a running
// thread, Join from a task is cancelled at once.
//
// Joining the thread from itself (from a context carrying its identity)
// would wait forever; it returns an error matching duet.ErrInvalidState at
// once (Python: RuntimeError "cannot join current thread").
func (t *Thread[T]) Join(ctx context.Context) (T, error) {
	var zero T
	if ctx == nil {
		return zero, nilCtx("Thread.Join")
	}
	if ownerOf(ctx) == any(&t.core.ident) {
		return zero, fmt.Errorf("thread: %w: thread %q cannot join itself (it would wait forever)", duet.ErrInvalidState, t.core.name)
	}
	if err := waitDone(ctx, &t.fut); err != nil {
		return zero, err
	}
	return t.fut.Result()
}

// IsAlive reports whether the thread's function is still running. It is true
// from Start until the function returns (or panics), and false before Join
// or Await return. Python: Thread.is_alive().
func (t *Thread[T]) IsAlive() bool { return t.core.alive.Load() }

// Name returns the thread's name. Python: Thread.name.
func (t *Thread[T]) Name() string { return t.core.name }

// ID returns the thread's identity, unique in the process and never reused.
// Python: Thread.ident (which the OS may recycle).
func (t *Thread[T]) ID() uint64 { return t.core.id }

// Info returns the thread's ID and name.
func (t *Thread[T]) Info() Info { return t.core.info() }

// Future returns the future of the thread's outcome, making a Thread an
// Awaitable (duet.Await, Gather, Wait, AsCompleted). The future cannot be
// cancelled: its Cancel reports false, as for a running
// concurrent.futures.Future. Nil-safe: a nil *Thread gives a nil future,
// which duet's combinators refuse with duet.ErrNilAwaitable instead of
// panicking.
func (t *Thread[T]) Future() *duet.Future[T] {
	if t == nil {
		return nil
	}
	return &t.fut
}

// Done returns a channel closed when the thread has ended.
func (t *Thread[T]) Done() <-chan struct{} { return t.fut.Done() }

// Result returns the thread's value and error without waiting
// (duet.ErrInvalidState while it runs). Retrieving the error keeps it from
// the except hook.
func (t *Thread[T]) Result() (T, error) { return t.fut.Result() }

// String returns the thread's name, ID and state, like Python's repr.
func (t *Thread[T]) String() string {
	state := "started"
	if !t.IsAlive() {
		state = "stopped"
	}
	return fmt.Sprintf("<Thread(%s, %s %d)>", t.core.name, state, t.core.id)
}

// threadOwner is a Thread seen as its future's producer.
type threadOwner[T any] Thread[T]

// Cancel reports false: a running thread cannot be cancelled.
func (o *threadOwner[T]) Cancel(string) bool { return false }

// Unstoppable lets a loop task that awaits the thread and is cancelled stop
// waiting rather than wait for the thread to end.
func (o *threadOwner[T]) Unstoppable() {}

// OnFailure arranges for an error nobody retrieves to reach the except hook
// when the thread is garbage collected.
func (o *threadOwner[T]) OnFailure(f *futhook.Failure) {
	if stopped(o.core.ctx.Context, f.Err) {
		return
	}
	runtime.AddCleanup((*Thread[T])(o), reportLost, lostReport{f: f, info: o.core.info()})
}

type lostReport struct {
	f    *futhook.Failure
	info Info
}

// stopped tells whether err, returned by a thread or a Pool.Go task whose
// context is ctx, says that the work was stopped rather than that it failed:
// a cancellation (duet.ErrCancelled, Python's SystemExit for the except
// hook), or ctx.Err() handed back once ctx was cancelled, the Go idiom for
// "I stopped because you asked". A deadline that passed is still reported:
// the work did not get done.
func stopped(ctx context.Context, err error) bool {
	return errors.Is(err, duet.ErrCancelled) || (errors.Is(err, context.Canceled) && ctx.Err() != nil)
}

func reportLost(r lostReport) {
	if r.f.Take() {
		callExceptHook(ExceptHookArgs{Thread: r.info, Err: r.f.Err})
	}
}

// ExceptHookArgs describes a thread failure nobody retrieved. Python:
// threading.ExceptHookArgs (exc_type, exc_value and exc_traceback are all
// in Err; a panic's value and stack are in a *duet.PanicError).
type ExceptHookArgs struct {
	// Thread is the thread that failed (for a Pool.Go task, the worker).
	Thread Info
	// Err is the thread's error; a panic gives a *duet.PanicError.
	Err error
}

var exceptHook atomic.Pointer[func(ExceptHookArgs)]

// SetExceptHook replaces the function that receives the failures of threads
// whose error nobody retrieved, and returns the previous one; nil restores
// DefaultExceptHook. Python: assigning threading.excepthook.
//
// When "nobody retrieved" is established: a thread that ends with an error
// (a panic included; a stop excluded: an error matching duet.ErrCancelled,
// or context.Canceled returned once the thread's context was cancelled, is
// how a thread says it was stopped, like SystemExit, which Python's hook
// ignores) is reported once the *Thread is garbage
// collected without Join, Await, Result or Err having returned that error.
// This is asyncio's "Task exception was never retrieved" rule, applied to
// threads because a duet thread, unlike a Python one, hands its error to
// whoever joins it: reporting every error at once, as Python does, would
// report errors that a later Join handles. The report therefore comes after
// a garbage collection, on the runtime's cleanup goroutine, and not at all
// if the program exits first. A Thread kept reachable is never reported.
//
// The failures of Pool.Go tasks come to the same hook, at once and on the
// worker, since nobody can retrieve them (see Pool.Go).
//
// The hook must return promptly (start a goroutine for slow work). A panic
// in the hook is logged and dropped. Safe to call at any time.
func SetExceptHook(h func(ExceptHookArgs)) (prev func(ExceptHookArgs)) {
	var p *func(ExceptHookArgs)
	if h != nil {
		p = &h
	}
	if old := exceptHook.Swap(p); old != nil {
		return *old
	}
	return DefaultExceptHook
}

// DefaultExceptHook logs a thread failure with log/slog at error level.
// Python: threading.__excepthook__, which prints the traceback.
func DefaultExceptHook(a ExceptHookArgs) {
	slog.Error("Exception in thread "+a.Thread.Name+" was never retrieved",
		"thread", a.Thread.Name, "thread_id", a.Thread.ID, "err", a.Err)
}

func callExceptHook(a ExceptHookArgs) {
	h := DefaultExceptHook
	if p := exceptHook.Load(); p != nil {
		h = *p
	}
	defer func() {
		if r := recover(); r != nil {
			slog.Error("thread: the except hook panicked", "panic", r, "thread", a.Thread.Name, "err", a.Err)
		}
	}()
	h(a)
}
