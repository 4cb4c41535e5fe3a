// Package park is duet's single waiting abstraction.
//
// Every blocking operation in duet (Await, Lock.Acquire, Queue.Get, Sleep,
// Event.Wait, ...) is written once against this package: register a Waiter
// with the primitive, then Park until the waiter is woken or cancelled. The
// context decides how parking happens:
//
//   - on a loop task, parking suspends the task's coroutine and its loop runs
//     other tasks; waking schedules the task's next step on its loop;
//   - on any other goroutine, parking blocks on a channel; waking closes it.
//
// A primitive never knows which world its waiters live in. Cancellation
// (a task cancel, a context that is done) comes through the same path, and a
// primitive learns from the waiter's final state whether it had been granted
// what it waited for, so that a cancelled waiter can pass a grant on: Wait
// parks and applies that rule, the same for every primitive.
package park

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Waiter states.
const (
	Pending   uint32 = iota // registered, not yet resolved
	Woken                   // the primitive granted the wait
	Cancelled               // the wait was abandoned (task cancel, ctx done)
)

// Canceller is something a waiting task can cancel instead of merely
// abandoning its wait: asyncio's Task.cancel cancels the future the task is
// parked on (fut_waiter.cancel()), which is how cancellation travels down an
// await chain.
type Canceller interface {
	Cancel(msg string) bool
}

// Relay is a Canceller that passes a cancellation on to loop tasks (a
// task's future, a gathering of several): CancelVia is Cancel made on
// behalf of the tasks in via, the waiting tasks the cancellation has
// already passed through. A task that finds itself in via is in an await
// cycle (it awaits, maybe through others, something that awaits it): it
// stops waiting instead of passing the cancellation on, so cancellation
// ends on any await graph. CPython recurses until RecursionError there.
type Relay interface {
	CancelVia(msg string, via *Via) bool
}

// Via is the path of a cancellation down an await chain: the task that
// passed it on last, then the tasks before it. The zero path is nil.
type Via struct {
	T  Task
	Up *Via
}

// Has reports whether t is on the path.
func (v *Via) Has(t Task) bool {
	for ; v != nil; v = v.Up {
		if v.T == t {
			return true
		}
	}
	return false
}

// CancelVia cancels c on behalf of the tasks in via: through CancelVia
// when c relays cancellations to tasks, else with a plain Cancel.
func CancelVia(c Canceller, msg string, via *Via) bool {
	if r, ok := c.(Relay); ok {
		return r.CancelVia(msg, via)
	}
	return c.Cancel(msg)
}

// Waiter is one parked wait. It is owned by the goroutine or task that waits;
// a primitive keeps it in a List and resolves it with Wake. A Waiter is
// resolved at most once.
type Waiter struct {
	state atomic.Uint32

	// DetachOnRefuse makes a task cancel that Target refuses end the wait
	// anyway, leaving Target to go on: a future being produced elsewhere
	// (a pool job, a thread) that is already running cannot be stopped, and
	// the task stops waiting for it, as asyncio's wrap_future'd futures
	// accept cancellation. Without it a refusal means "I will end soon" (a
	// task finishing its cleanup, work the bridge waits for) and the task
	// keeps waiting, the cancellation delivered when it wakes.
	DetachOnRefuse bool

	// What and On say what the wait is for whoever inspects it (see
	// Label): set by the primitive that makes the waiter, before it parks;
	// read only by inspection, on the waiting task's loop. (What and
	// DetachOnRefuse sit in the word state leaves, so that a Waiter takes
	// 112 bytes: every parked task holds one.)
	What Label

	task Task          // nil for a goroutine waiter
	ch   chan struct{} // goroutine waiters: closed on resolve
	fn   func()        // callback waiters: called on resolve

	// Target, when set, is what cancelling the waiting task cancels
	// (a future being awaited). When nil, cancelling the task resolves
	// the waiter as Cancelled.
	Target Canceller

	// Val carries a payload from the waker to the waiter (a Barrier's
	// generation outcome, for example). Written before Wake, read after.
	Val any

	On any

	next, prev *Waiter
	list       *List
}

// Label names a kind of wait for inspection: the primitive and operation
// a task or goroutine is blocked in ("Lock.Acquire", "Queue.Get").
// Primitives keep one Label per operation in a package variable, made by
// NewLabel, and set it, with the object waited on, on each waiter they
// make (Labeled): two stores on the hot path, read only when someone
// takes a snapshot. A Label is a small number, so that a Waiter keeps it
// in a byte; the zero Label is none.
type Label uint8

// labels are the operations by Label - 1. NewLabel replaces the slice
// (under mu) rather than append in place, so that Op, which a snapshot
// calls once per waiting task, reads it without a lock.
var labels struct {
	mu  sync.Mutex
	ops atomic.Pointer[[]string]
}

// NewLabel returns the Label of the wait named op. It is meant for package
// variables: there are at most 255 Labels, and NewLabel panics past that.
func NewLabel(op string) Label {
	labels.mu.Lock()
	defer labels.mu.Unlock()
	var old []string
	if p := labels.ops.Load(); p != nil {
		old = *p
	}
	if len(old) == 255 {
		panic("park: more than 255 Labels (NewLabel is for package variables)")
	}
	ops := append(old[:len(old):len(old)], op)
	labels.ops.Store(&ops)
	return Label(len(ops))
}

// Op returns the operation l names, "" for the zero Label.
func (l Label) Op() string {
	if l == 0 {
		return ""
	}
	return (*labels.ops.Load())[l-1]
}

// Labeled sets w's label and the object it waits on, and returns w.
func (w *Waiter) Labeled(what Label, on any) *Waiter {
	w.What, w.On = what, on
	return w
}

// NewWaiter returns a waiter for the caller described by ctx: a task waiter
// when ctx belongs to the loop task that is running now, a goroutine waiter
// otherwise.
func NewWaiter(ctx context.Context) *Waiter {
	if t := Current(ctx); t != nil {
		return &Waiter{task: t}
	}
	return &Waiter{ch: make(chan struct{})}
}

// Func returns a waiter that calls fn when it is resolved. It cannot Park.
func Func(fn func()) *Waiter { return &Waiter{fn: fn} }

// ForTask returns a waiter owned by the task t.
func ForTask(t Task) *Waiter { return &Waiter{task: t} }

// ResetFor makes w a fresh pending waiter of task t, for a task that reuses
// one waiter for its waits. Only the owning task may call it, and only when
// w is in no list and no waker still holds it.
func (w *Waiter) ResetFor(t Task) {
	*w = Waiter{task: t}
}

// State reports the waiter's state.
func (w *Waiter) State() uint32 { return w.state.Load() }

// Task returns the owning task, or nil for a goroutine waiter.
func (w *Waiter) Task() Task { return w.task }

// Wake resolves the waiter as granted and makes its owner runnable. It
// reports false when the waiter was already resolved (cancelled, typically),
// in which case the caller should grant the next waiter instead.
func (w *Waiter) Wake() bool {
	if !w.state.CompareAndSwap(Pending, Woken) {
		return false
	}
	w.notify()
	return true
}

// Abandon resolves the waiter as cancelled and makes its owner runnable. It
// reports false when the waiter was already resolved.
func (w *Waiter) Abandon() bool {
	if !w.state.CompareAndSwap(Pending, Cancelled) {
		return false
	}
	w.notify()
	return true
}

func (w *Waiter) notify() {
	switch {
	case w.task != nil:
		w.task.Schedule()
	case w.fn != nil:
		w.fn()
	default:
		close(w.ch)
	}
}

// Park waits until w is resolved, or until the wait is cancelled. On a task
// it suspends the task; on a goroutine it blocks until w is resolved or ctx
// is done (then w is abandoned). It returns a non-nil error when the waiting
// task or context was cancelled: the waiter's state then tells whether the
// wait had been granted before the cancellation arrived, and a primitive that
// granted something must pass it on. Primitives call Wait, which applies
// that rule.
func Park(ctx context.Context, w *Waiter) error {
	if w.task != nil {
		return w.task.Suspend(ctx, w, nil)
	}
	return parkGoroutine(ctx, w)
}

// parkGoroutine is Park for a goroutine waiter. It is a function of its
// own so that a task's wait, which is parked with every frame above it on
// the task's stack, does not carry the frame of a select.
func parkGoroutine(ctx context.Context, w *Waiter) error {
	done := ctx.Done()
	if done == nil {
		<-w.ch
		return nil
	}
	select {
	case <-w.ch:
		return nil
	case <-done:
		w.Abandon()
		return CtxErr(ctx)
	}
}

// ParkOrDrop is Park for a waiter kept in a primitive's list. If the
// waiting task is destroyed instead (its loop is closed while it waits, and
// the task unwinds), drop(w) takes the waiter out of the primitive on the
// way out, so that no dead waiter is left behind to swallow a wake-up.
func ParkOrDrop(ctx context.Context, w *Waiter, drop func(*Waiter)) error {
	if w.task != nil {
		return w.task.Suspend(ctx, w, drop) // the task drops w as it unwinds
	}
	return parkGoroutine(ctx, w) // a blocked goroutine is never unwound
}

// Wait parks w until it is resolved, as ParkOrDrop does (as Park when drop
// is nil), and reports how the wait ended, applying the rule every duet
// primitive follows when a wake-up and a cancellation meet:
//
//   - granted, nil error: the primitive granted the wait. This includes a
//     goroutine whose ctx ended just as it was woken: it keeps the grant.
//     The waker has already handed the grant to this waiter and moved on
//     (a lock's ownership, a permit, a notification, a wake-up), the
//     goroutine cannot tell which of the two came first, and taking the
//     grant loses nothing, where refusing it would make the primitive pass
//     it on behind its other waiters' backs (threading's Condition.wait and
//     Lock.acquire with a timeout likewise report success once notified).
//   - granted, an error: a task was woken, but its cancellation arrived
//     before it ran. asyncio delivers the cancellation (the task's await
//     raises), so the caller returns err and passes the grant on to the next
//     waiter; nothing is lost (CPython's Lock, Semaphore, Condition and
//     Queue do the same).
//   - not granted, an error: the wait was abandoned (task cancel, ctx done)
//     before any grant; the caller takes w out of its list and returns err.
func Wait(ctx context.Context, w *Waiter, drop func(*Waiter)) (granted bool, err error) {
	// ParkOrDrop, inlined by hand: every frame between a primitive and
	// the task's switch stays on the parked task's stack (see Task).
	if w.task != nil {
		err = w.task.Suspend(ctx, w, drop)
	} else {
		err = parkGoroutine(ctx, w)
	}
	switch {
	case err == nil:
		return true, nil
	case w.State() != Woken:
		return false, err
	case w.task == nil:
		return true, nil // a goroutine keeps the grant
	}
	return true, err
}

// Errors is the protocol by which park, and the internal packages built on
// it, make duet's errors. The root package duet owns the error types and
// imports park, so park cannot name them: the root package implements
// Errors and installs it once, from its init, with SetErrors. Until then
// (in park's own tests) a context's cause is used as it is.
type Errors interface {
	// CtxErr converts the end of ctx into the error of a wait that ctx
	// ended: a *duet.CancelledError, or a *duet.TimeoutError for a
	// deadline.
	CtxErr(ctx context.Context) error
}

var errs Errors = causes{}

// SetErrors installs the root package's Errors.
func SetErrors(e Errors) { errs = e }

// CtxErr converts the end of ctx into duet's error (see Errors).
func CtxErr(ctx context.Context) error { return errs.CtxErr(ctx) }

type causes struct{}

func (causes) CtxErr(ctx context.Context) error { return context.Cause(ctx) }

// Timer is a scheduled callback that can be cancelled.
type Timer interface {
	Cancel() bool
}

// Loop is what the root package needs from an event loop. Every method is
// safe to call from any goroutine unless it says otherwise.
type Loop interface {
	// Now reads the loop's clock.
	Now() time.Time
	// Post runs fn on the loop soon (call_soon_threadsafe); it reports
	// false, and fn never runs, when the loop is closed.
	Post(fn func()) bool
	// After runs fn on the loop when the clock reaches when.
	After(when time.Time, fn func()) Timer
	// Go starts fn as a new task of the loop; cancel requests the task's
	// cancellation. If fn will never run or never return normally — the
	// loop is closed, the task is cancelled before it starts, or its loop
	// closes under it — skipped is called once with the reason, from any
	// goroutine. Safe from any goroutine.
	Go(ctx context.Context, name string, fn func(ctx context.Context), skipped func(err error)) (cancel func(msg string) bool)
}

// Unwind is the value a loop panics with, inside a suspended task, to
// unwind the task's function when the loop is closed under it. Code that
// recovers panics in a task must re-panic it.
type Unwind struct{}

// Task is what the root package needs from a loop task. Suspend, Cancelling
// and Uncancel may only be called by the task itself.
//
// A parked task keeps every frame between its function and Suspend on its
// goroutine stack for as long as it waits: a loop holding 10,000 idle
// connections holds 10,000 such stacks. The waiting path (Wait, Park and
// the task's Suspend) is kept shallow so that a parked task fits in the
// runtime's smallest stack (2 KiB): no defer, select or large literal on
// it, the rare paths in functions of their own.
type Task interface {
	Loop() Loop
	// Suspend parks the running task on w (see Park). If the task is
	// destroyed instead (its loop is closed while it waits, and its
	// function unwinds), it calls drop(w), when drop is not nil, before
	// unwinding: ParkOrDrop's contract.
	Suspend(ctx context.Context, w *Waiter, drop func(*Waiter)) error
	// Schedule makes the task runnable; safe from any goroutine.
	Schedule()
	// Cancel requests cancellation (asyncio Task.cancel).
	Cancel(msg string) bool
	Cancelling() int
	Uncancel() int
	// Sleep suspends the task for d on the loop's clock; d <= 0 yields.
	Sleep(ctx context.Context, d time.Duration) error
	// AwaitWaiter returns the task's reusable waiter for awaiting a future,
	// reset to pending.
	AwaitWaiter() *Waiter
	// Owns reports whether every cancellation of ctx reaches the task as a
	// task cancellation: ctx is the task's own context or a duet scope of it.
	Owns(ctx context.Context) bool
	// Running reports whether the task is the one running on its loop now.
	Running() bool
}

// Scope is a context that a duet scope (a timeout, a group's body) derives
// within a loop task's context, so that every cancellation of it reaches
// the task as a task cancellation: the loop then need not watch the
// context during the task's waits (see Task.Owns). ScopeOf returns that
// task, or nil when the scope's cancellation does not come only through
// the task (a scope made on a goroutine).
type Scope interface {
	ScopeOf() Task
}

// Key is the type of duet's context keys. They are distinct pointers of
// one concrete type, so a context can recognise them with a type check and
// a word compare, on the path of every Await and Spawn.
type Key struct{ name string }

// TaskKey is the context key under which a loop task is stored.
var TaskKey = &Key{"task"}

// LoopKey is the context key under which a task's loop is stored.
var LoopKey = &Key{"loop"}

// Current returns the loop task that ctx belongs to if that task is the one
// running now, else nil: a goroutine that holds a task's context but is not
// that task waits like any goroutine.
func Current(ctx context.Context) Task {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(TaskKey).(Task)
	if t == nil {
		return nil
	}
	if !t.Running() {
		return nil
	}
	return t
}

// LoopOf returns the loop that ctx belongs to, or nil.
func LoopOf(ctx context.Context) Loop {
	if ctx == nil {
		return nil
	}
	l, _ := ctx.Value(LoopKey).(Loop)
	return l
}
