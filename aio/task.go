package aio

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/coro"
	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/ilist"
	"github.com/duet-go/duet/internal/park"
)

var errForeign = fmt.Errorf("aio: %w: a task's context was used to wait from another goroutine while the task ran (see the loop's exception report)", duet.ErrInvalidState)

// task is the untyped part of a Task: its scheduling and cancellation state.
type task struct {
	loop *Loop
	id   uint64
	name string
	body interface {
		Run()
		watch(*Loop, *futhook.Failure)
		destroyUnstarted()
		handle() AnyTask
	}
	coro *coro.Coro

	// The task's context is the task itself, as a taskCtx (ctx.go), so
	// that spawning allocates no context: what the spawning context gave
	// it, and its cancellation state, made on first use.
	parentCtx context.Context
	ctxSt     atomic.Pointer[ctxState]

	flags    atomic.Uint32 // taskDone, taskCancelReq
	returned bool          // the function returned (rather than panic or Goexit); the task's own

	mu     sync.Mutex                  // guards the fields below against foreign Cancel
	waiter atomic.Pointer[park.Waiter] // what the task waits on; written by the task only
	cs     *cancelState                // made by the first Cancel

	aw    *park.Waiter      // reused by Await (made on first use); a waker drops it before the task resumes
	links ilist.Links[task] // the loop's live list

	parent uint64   // id of the task whose step spawned it, 0 for none (inspection)
	steps  uint64   // steps taken; the loop's own
	ext    *taskExt // timings, goroutine, profiling: only on inspected or profiled loops (instrument.go)
}

// The bits of task.flags, which foreign Cancel and inspection read.
const (
	taskDone      = 1 << iota // the function has returned
	taskCancelReq             // Cancel was called at least once
)

func (c *task) hasFlag(f uint32) bool { return c.flags.Load()&f != 0 }
func (c *task) setFlag(f uint32)      { c.flags.Or(f) }
func (c *task) isDone() bool          { return c.hasFlag(taskDone) }

// Task is a function running as a task of an event loop (Python:
// asyncio.Task). It is an Awaitable: Await it from a task or a goroutine to
// get the function's value and error.
//
// A task runs only while its loop hands it control, so the tasks of one
// loop never run at the same time and switch only where one waits. Its
// error or panic goes to whoever awaits it; one that nobody retrieves is
// reported through the loop's exception handler.
type Task[T any] struct {
	core task
	fut  duet.Future[T]
	fn   func(ctx context.Context) (T, error)
}

// TaskOption configures Spawn.
type TaskOption func(*taskOpts)

type taskOpts struct {
	name  string
	eager bool
}

// WithName names the task (default "Task-N", as in Python).
func WithName(name string) TaskOption { return func(o *taskOpts) { o.name = name } }

// Eager starts the task's function inside Spawn, when Spawn is called by a
// task of the same loop, and runs it until it first waits; a function that
// never waits completes before Spawn returns and is never scheduled.
// Python: create_task(eager_start=True), eager_task_factory.
func Eager() TaskOption { return func(o *taskOpts) { o.eager = true } }

// Spawn starts fn as a new task on the loop that ctx belongs to (Python:
// asyncio.create_task). The task's first step runs in a later iteration of
// the loop, after the callbacks already scheduled; tasks spawned in one step
// start in spawn order. Spawn may be called from any goroutine.
//
// The task's context carries ctx's values but not its cancellation: like an
// asyncio task, it lives until its function returns or it is cancelled (use
// a duet.Group to tie tasks' lifetimes together). Cancelling the task
// cancels its context.
//
// When ctx belongs to no loop, or the loop is closed, Spawn returns a task
// that has already failed with ErrNoLoop or duet.ErrClosed.
func Spawn[T any](ctx context.Context, fn func(ctx context.Context) (T, error), opts ...TaskOption) *Task[T] {
	var o taskOpts
	if len(opts) > 0 {
		po := new(taskOpts)
		for _, opt := range opts {
			opt(po)
		}
		o = *po
	}
	t := &Task[T]{fn: fn}
	c := &t.core
	c.body = (*taskBody[T])(t)
	if ctx == nil {
		t.fut.SetError(nilCtx("Spawn"))
		return t
	}
	l := loopFrom(ctx)
	if l == nil {
		t.fut.SetError(ErrNoLoop)
		return t
	}
	if fn == nil {
		t.fut.SetError(fmt.Errorf("aio: Spawn with a nil function"))
		return t
	}
	c.loop = l
	c.name = o.name
	if cur := l.running.Load(); cur != nil && park.Current(ctx) == park.Task(cur) {
		c.parent = cur.id
	}
	c.parentCtx = ctx
	futhook.Bind(&t.fut, (*taskOwner)(c))
	if o.eager {
		if cur, _ := park.Current(ctx).(*task); cur != nil && cur.loop == l {
			if !l.register(c) {
				t.fut.SetError(errLoopClosed)
				return t
			}
			l.step(c)
			return t
		}
	}
	if !l.spawn(c) {
		t.fut.SetError(errLoopClosed)
	}
	return t
}

// register adds c to the live tasks.
func (l *Loop) register(c *task) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Load() == loopClosed {
		return false
	}
	l.taskSeq++
	c.id = l.taskSeq
	l.live.PushBack(c)
	return true
}

// spawn registers c and schedules its first step, under one lock.
func (l *Loop) spawn(c *task) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Load() == loopClosed {
		return false
	}
	l.taskSeq++
	c.id = l.taskSeq
	l.live.PushBack(c)
	l.incoming = append(l.incoming, entry{t: c})
	l.signalLocked()
	return true
}

// taskBody is a Task as its coroutine's function (coro.Func) and as the
// typed half its untyped core calls back into. Run is on this unexported
// view, not on Task, because calling it is the loop's business alone; the
// conversion from *Task is free, so spawning allocates nothing for it.
type taskBody[T any] Task[T]

// Run is the task's body, on its coroutine. Its frame and call's lie
// under the function's for the task's whole life, so both are kept small
// (see park.Task): the rare paths are functions of their own.
func (b *taskBody[T]) Run() {
	t := (*Task[T])(b)
	c := &t.core
	if c.hasFlag(taskCancelReq) && t.startCancelled() {
		return
	}
	if c.loop.instr.Load() != nil || c.loop.profile {
		t.callInspected()
		return
	}
	t.call()
}

// startCancelled ends a task cancelled before it started, and reports
// whether it was: like asyncio, the function then never runs.
func (t *Task[T]) startCancelled() bool {
	c := &t.core
	c.mu.Lock()
	early, msg := c.cs.mustCancel, c.cs.cancelMsg
	c.cs.mustCancel = false
	c.mu.Unlock()
	if early {
		var zero T
		t.end(zero, &duet.CancelledError{Msg: msg})
	}
	return early
}

// errGoexit is the failure of a task whose function called runtime.Goexit.
var errGoexit = errors.New("aio: the task's function exited without returning: runtime.Goexit was called on its goroutine (by t.FailNow, t.Fatal, or a log.Fatal-like helper?)")

// call runs the task's function and ends the task with its outcome; when
// the function does not return, unreturned does.
func (t *Task[T]) call() {
	defer t.unreturned()
	v, err := t.fn(t.core.context())
	t.core.returned = true
	t.returnWith(v, err)
}

// callInspected is call on a loop that is timed or profiled: the task's
// goroutine is noted for StepNow, and its function runs under its
// profiling labels.
func (t *Task[T]) callInspected() {
	c := &t.core
	defer t.unreturned()
	if c.loop.instr.Load() != nil {
		g := curGoid()
		c.extension().goid = g
		c.loop.stepGoid.Store(g)
	}
	if c.loop.profile {
		c.profileStart()
		defer c.profileEnd()
	}
	v, err := t.fn(c.context())
	c.returned = true
	t.returnWith(v, err)
}

// returnWith ends the task whose function returned v, err. One cancelled
// while it ran that then returned without waiting again ends cancelled
// (asyncio's __step on StopIteration with _must_cancel set).
func (t *Task[T]) returnWith(v T, err error) {
	if err == nil {
		if cerr := t.core.takeMustCancel(); cerr != nil {
			var zero T
			v, err = zero, cerr
		}
	}
	t.end(v, err)
}

// unreturned ends the task whose function did not return: a panic ends it
// with a *duet.PanicError, the unwinding of a task whose loop was closed
// under it as cancelled, and a runtime.Goexit with a *duet.PanicError of
// errGoexit, the coroutine then handing the loop back and retiring
// (the Goexit goes on elsewhere: see coro.Exit).
func (t *Task[T]) unreturned() {
	c := &t.core
	if c.returned {
		return
	}
	var zero T
	switch r := recover(); r.(type) {
	case nil:
		t.end(zero, &duet.PanicError{Value: errGoexit, Stack: debug.Stack()})
		c.coro.Exit()
	case park.Unwind:
		t.end(zero, &duet.CancelledError{Msg: "task destroyed: its loop was closed"})
	default:
		t.end(zero, duet.NewPanicError(r))
	}
}

// end completes the task with its outcome. It runs as the loop (a task
// step), so ended is the loop's own: the task leaves the live list at the
// loop's next locked moment rather than take the lock here.
func (t *Task[T]) end(v T, err error) {
	c := &t.core
	c.setFlag(taskDone)
	c.loop.ended = append(c.loop.ended, c)
	c.context().finish()
	t.fut.Complete(v, err)
}

// destroyUnstarted ends a task whose loop closed before it started.
func (b *taskBody[T]) destroyUnstarted() {
	t := (*Task[T])(b)
	t.core.setFlag(taskDone)
	var zero T
	t.fut.Complete(zero, &duet.CancelledError{Msg: "task destroyed: its loop was closed before it started"})
}

// handle returns the task's typed handle as an AnyTask.
func (b *taskBody[T]) handle() AnyTask { return (*Task[T])(b) }

// watch reports f if t is garbage collected with f never retrieved.
func (b *taskBody[T]) watch(l *Loop, f *futhook.Failure) {
	t := (*Task[T])(b)
	runtime.AddCleanup(t, reportLost, failureReport{l, t.core.Name(), f})
}

func reportLost(a failureReport) {
	if a.f.Take() {
		a.l.CallExceptionHandler(ExceptionContext{Message: "Task exception was never retrieved", Err: a.f.Err, Task: a.name})
	}
}

type failureReport struct {
	l    *Loop
	name string
	f    *futhook.Failure
}

// step runs the task until it suspends or finishes. Loop goroutine (or the
// task that eagerly spawned it).
func (l *Loop) step(c *task) {
	if c.coro == nil && c.isDone() {
		return // ended before its first step (destroyed, or run by RunNow)
	}
	l.depth++
	prev := l.running.Swap(c)
	var done bool
	if ins := l.instr.Load(); ins != nil {
		done = l.stepTimed(c, *ins)
	} else {
		done = l.resume(c)
	}
	c.steps++
	l.steps++
	if done {
		l.putCoro(c.coro)
		c.coro = nil
	}
	l.running.Store(prev)
	l.depth--
}

// resume runs c's next step (its first: on a coroutine of the loop's) and
// reports whether its function returned.
func (l *Loop) resume(c *task) bool {
	if c.coro == nil {
		c.coro = l.getCoro()
		return c.coro.Start(c.body)
	}
	return c.coro.Resume()
}

// Running reports whether c is the task running on its loop now.
func (c *task) Running() bool { return c.loop.running.Load() == c }

// Loop returns the task's loop.
func (c *task) Loop() park.Loop { return (*loopPort)(c.loop) }

// Schedule makes the task runnable in the loop's next iteration.
func (c *task) Schedule() { c.loop.push(entry{t: c}) }

// yield hands control back to the loop until the task is scheduled again.
func (c *task) yield() {
	if !c.suspend() {
		panic(park.Unwind{})
	}
}

// suspend hands control back to the loop until the task is scheduled
// again, and reports false when the task is to unwind instead (its loop
// was closed under it). A suspended task's stack is found by this frame,
// whose argument is the *task (see addStacks), so it is never inlined; it
// lies under every parked task's function, so it is kept small.
//
//go:noinline
func (c *task) suspend() bool {
	if c.ext != nil {
		c.profileSuspend()
	}
	if !c.coro.Suspend() {
		return false
	}
	if c.ext != nil {
		c.resumed()
	}
	return true
}

// resumed notes a resumption on an inspected or profiled loop.
func (c *task) resumed() {
	if x := c.ext; x != nil {
		if x.goid == 0 && c.loop.instr.Load() != nil {
			// Timed since it started (an instrument came later): note its
			// goroutine now, for StepNow.
			x.goid = curGoid()
			c.loop.stepGoid.Store(x.goid)
		}
		c.profileResume()
	}
}

// Suspend parks the running task on w until w is resolved; see park.Park.
// A task destroyed while it waits calls drop(w) (when not nil) as it
// unwinds.
//
// The hot path takes no lock: the task publishes its waiter, then checks
// cancelReq; Cancel sets cancelReq, then reads the waiter. With both
// sequentially consistent, at least one of them sees the other, and once a
// cancellation was ever requested the task takes the lock and serializes
// with Cancel.
//
// Its frame stays on the task's stack while it waits, so everything but
// the switch itself is in functions of their own (see park.Task).
func (c *task) Suspend(ctx context.Context, w *park.Waiter, drop func(*park.Waiter)) error {
	if c.loop.debug && !c.loop.debugCheckGoroutine(c) {
		w.Abandon()
		return errForeign
	}
	c.waiter.Store(w)
	if c.hasFlag(taskCancelReq) {
		c.cancelBeforeWait(w)
	}
	var stop func() bool
	if !c.context().owns(ctx) && ctx.Done() != nil {
		stop = abandonWhenDone(ctx, w)
	}
	if !c.suspend() {
		unwind(w, drop)
	}
	if stop != nil {
		stop()
	}
	c.waiter.Store(nil)
	if c.hasFlag(taskCancelReq) {
		if err := c.cancelAfterWait(w); err != nil {
			return err
		}
	}
	if w.State() == park.Cancelled {
		return park.CtxErr(ctx)
	}
	return nil
}

// cancelBeforeWait delivers a cancellation requested before the task
// waits on w: it cancels what w waits for.
func (c *task) cancelBeforeWait(w *park.Waiter) {
	c.mu.Lock()
	must, msg := c.cs.mustCancel, c.cs.cancelMsg
	c.mu.Unlock()
	if must && c.cancelWaiter(w, msg) {
		c.mu.Lock()
		c.cs.mustCancel = false
		c.cs.byCancel, c.cs.abandonMsg = true, msg
		c.mu.Unlock()
	}
}

// cancelAfterWait is the cancellation a wait on w ends with, if any. As in
// asyncio's __step, the cancellation the wait itself ended with wins;
// otherwise a pending request is delivered now.
func (c *task) cancelAfterWait(w *park.Waiter) error {
	c.mu.Lock()
	must, by, msg, amsg := c.cs.mustCancel, c.cs.byCancel, c.cs.cancelMsg, c.cs.abandonMsg
	c.cs.mustCancel, c.cs.byCancel = false, false
	c.mu.Unlock()
	if by && w.State() == park.Cancelled {
		return &duet.CancelledError{Msg: amsg}
	}
	if must {
		return &duet.CancelledError{Msg: msg}
	}
	return nil
}

// abandonWhenDone abandons w when ctx, which the task does not own, ends.
func abandonWhenDone(ctx context.Context, w *park.Waiter) func() bool {
	return context.AfterFunc(ctx, func() { w.Abandon() })
}

// unwind unwinds a task destroyed while it waited on w, dropping w first.
func unwind(w *park.Waiter, drop func(*park.Waiter)) {
	if drop != nil {
		drop(w)
	}
	panic(park.Unwind{})
}

// cancelWaiter cancels what the task waits on (Python: fut_waiter.cancel()).
func (c *task) cancelWaiter(w *park.Waiter, msg string) bool {
	if w.Target != nil && w.Target.Cancel(msg) {
		return true
	}
	return (w.Target == nil || w.DetachOnRefuse) && w.Abandon()
}

// ListLinks gives the loop's live list its links.
func (c *task) ListLinks() *ilist.Links[task] { return &c.links }

// Owns reports whether ctx's cancellation reaches the task only as a task
// cancellation.
func (c *task) Owns(ctx context.Context) bool { return c.context().owns(ctx) }

// AwaitWaiter returns the task's reusable waiter, reset.
func (c *task) AwaitWaiter() *park.Waiter {
	if c.aw == nil {
		c.aw = new(park.Waiter)
	}
	c.aw.ResetFor(c)
	return c.aw
}

// Sleep suspends the task for d on its loop's clock.
func (c *task) Sleep(ctx context.Context, d time.Duration) error {
	if c.loop.debug && !c.loop.debugCheckGoroutine(c) {
		return errForeign
	}
	if d <= 0 {
		c.Schedule()
		c.yield()
		return c.takeMustCancel()
	}
	s := &sleeper{}
	w := &s.w
	w.ResetFor(c)
	h := &s.h
	h.w, h.when, h.loop = w, c.loop.clock.Now().Add(d), c.loop
	w.What, w.On = labelSleep, h
	if !c.loop.addTimer(h) {
		return errLoopClosed
	}
	err := c.Suspend(ctx, w, nil)
	if err != nil {
		h.Cancel()
	}
	return err
}

// cancelState is a task's cancellation bookkeeping, guarded by task.mu and
// made by the first Cancel: most tasks are never cancelled, and cancelReq
// tells the hot paths whether to look here at all.
type cancelState struct {
	mustCancel bool   // a request not delivered yet (Python: _must_cancel)
	byCancel   bool   // the waiter was abandoned by Cancel, not by a context
	abandonMsg string // the message of that Cancel
	numCancel  int    // Python: _num_cancels_requested
	cancelMsg  string // the message of the pending mustCancel
}

// sleeper is a sleep's timer and waiter in one allocation.
type sleeper struct {
	h Handle
	w park.Waiter
}

// Cancel requests the task's cancellation (Python: Task.cancel(msg)): the
// task's pending or next wait returns an error matching duet.ErrCancelled
// that carries msg, and its context is cancelled. It reports false when the
// task has already finished. Every call counts (see Cancelling). A task
// that waits on another awaitable passes the request on to it, as Python
// does; otherwise the latest message is the one delivered, unless an
// earlier request already ended the task's wait. A task cancelled while
// it runs that then returns a value without waiting again ends cancelled,
// as in asyncio (an error it returns wins instead). Safe from any
// goroutine.
func (c *task) Cancel(msg string) bool { return c.CancelVia(msg, nil) }

// CancelVia is Cancel passed on by the waiting tasks in via (park.Relay).
// A task that is already on the path awaits, maybe through others,
// something that awaits it: the cancellation has come round the cycle, and
// the task stops waiting instead of passing it on once more, which ends
// the cycle (its wait returns the cancellation; the request was counted
// when it first reached the task).
func (c *task) CancelVia(msg string, via *park.Via) bool {
	c.mu.Lock()
	if c.loop == nil || c.isDone() {
		c.mu.Unlock()
		return false
	}
	if c.cs == nil {
		c.cs = new(cancelState)
	}
	if via.Has(c) {
		if w := c.waiter.Load(); w == nil || !c.abandonLocked(w, msg) {
			c.cs.mustCancel, c.cs.cancelMsg = true, msg
		}
		c.mu.Unlock()
		return true
	}
	c.cs.numCancel++
	c.setFlag(taskCancelReq)
	var target park.Canceller
	if w := c.waiter.Load(); w != nil {
		if w.Target == nil {
			if c.abandonLocked(w, msg) {
				c.mu.Unlock()
				return true
			}
		} else {
			target = w.Target
		}
	}
	if target == nil {
		c.cs.mustCancel, c.cs.cancelMsg = true, msg
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	if park.CancelVia(target, msg, &park.Via{T: c, Up: via}) {
		return true
	}
	c.mu.Lock()
	if !c.isDone() {
		if w := c.waiter.Load(); w != nil && w.Target == target && w.DetachOnRefuse && c.abandonLocked(w, msg) {
			c.mu.Unlock()
			return true
		}
		c.cs.mustCancel, c.cs.cancelMsg = true, msg
	}
	c.mu.Unlock()
	return true
}

// takeMustCancel delivers a cancellation requested while the task was not
// waiting, at a point where it could have waited (asyncio's _must_cancel).
func (c *task) takeMustCancel() error {
	if !c.hasFlag(taskCancelReq) {
		return nil
	}
	c.mu.Lock()
	must, msg := c.cs.mustCancel, c.cs.cancelMsg
	c.cs.mustCancel = false
	c.mu.Unlock()
	if must {
		return &duet.CancelledError{Msg: msg}
	}
	return nil
}

// abandonLocked ends the task's wait on w as cancelled by Cancel(msg); false
// when w was resolved first. c.mu is held.
func (c *task) abandonLocked(w *park.Waiter, msg string) bool {
	prevBy, prevMsg := c.cs.byCancel, c.cs.abandonMsg
	c.cs.byCancel, c.cs.abandonMsg = true, msg
	if w.Abandon() {
		return true
	}
	c.cs.byCancel, c.cs.abandonMsg = prevBy, prevMsg
	return false
}

// taskOwner is the task as its future's producer: cancelling the future
// cancels the task for good, context included, whereas the park.Task view
// (task.Cancel) only requests cancellation, which timeouts and groups
// withdraw with Uncancel while the task goes on with a live context.
type taskOwner task

// Cancel requests the task's cancellation and cancels its context.
func (o *taskOwner) Cancel(msg string) bool { return o.CancelVia(msg, nil) }

// CancelVia is Cancel passed on by the waiting tasks in via (park.Relay).
func (o *taskOwner) CancelVia(msg string, via *park.Via) bool {
	c := (*task)(o)
	if !c.CancelVia(msg, via) {
		return false
	}
	c.context().cancel(nil)
	return true
}

// Producer gives the task, so that Await refuses the task's wait for its
// own outcome.
func (o *taskOwner) Producer() park.Task { return (*task)(o) }

// RunNow starts the task inside the step of aw, the running task (as
// park.Current found it), which is about to wait for it, when nothing could
// run between the two in asyncio's order: aw is of the same loop and the
// last item of this iteration, the task's first step is the only item
// scheduled, no timer is due and the loop is not stopping. The loop then
// needs no iteration, and no coroutine switch through it, to start the task
// and to resume aw. It reports whether it ran the task (which then finished
// or waits). If the task finished, aw yields first when the task scheduled
// anything (that runs before aw resumes, as it would have), and err is a
// cancellation of aw requested meanwhile, delivered at this await point. w
// is aw's waiter for the task's future, not yet subscribed.
func (o *taskOwner) RunNow(aw park.Task, w *park.Waiter) (ran bool, err error) {
	c := (*task)(o)
	a, ok := aw.(*task)
	l := c.loop
	if !ok || a.loop != l || l.debug || c.coro != nil || c.isDone() || l.depth != 1 ||
		l.pos != len(l.ready)-1 {
		return false, nil
	}
	l.mu.Lock()
	if len(l.incoming) != 1 || l.incoming[0].t != c || l.stopping.Load() || l.timerDueLocked() {
		l.mu.Unlock()
		return false, nil
	}
	l.incoming[0] = entry{}
	l.incoming = l.incoming[:0]
	l.mu.Unlock()
	// While the task runs, aw counts as waiting on w, whose Target is the
	// task's future: a cancel of aw passes on to the task, as in asyncio.
	a.waiter.Store(w)
	l.step(c)
	a.waiter.Store(nil)
	if !c.isDone() {
		return true, nil
	}
	l.mu.Lock()
	// aw may go on spawning and awaiting without the loop iterating:
	// finished tasks leave the live list here, as they would there.
	l.flushEndedLocked()
	pending := len(l.incoming) > 0 || l.timerDueLocked()
	l.mu.Unlock()
	if pending {
		a.Schedule()
		a.yield()
	}
	return true, a.takeMustCancel()
}

// OnFailure records a failure that may never be retrieved.
func (o *taskOwner) OnFailure(f *futhook.Failure) {
	c := (*task)(o)
	c.loop.onTaskFailure(c.Name(), f)
	c.body.watch(c.loop, f)
}

// Cancelling returns the number of pending cancellation requests (Python:
// Task.cancelling()).
func (c *task) Cancelling() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cs == nil {
		return 0
	}
	return c.cs.numCancel
}

// Uncancel decrements the count of cancellation requests and returns what
// remains (Python: Task.uncancel()); reaching zero also withdraws a request
// not yet delivered.
func (c *task) Uncancel() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cs == nil {
		return 0
	}
	if c.cs.numCancel > 0 {
		c.cs.numCancel--
		if c.cs.numCancel == 0 {
			c.cs.mustCancel = false
		}
	}
	return c.cs.numCancel
}

// Future returns the future of the task's outcome. Nil-safe.
func (t *Task[T]) Future() *duet.Future[T] {
	if t == nil {
		return nil
	}
	return &t.fut
}

// Cancel requests the task's cancellation; see the description of Task.
func (t *Task[T]) Cancel(msg string) bool { return (*taskOwner)(&t.core).Cancel(msg) }

// Cancelling returns the number of cancellation requests not withdrawn by
// Uncancel (Python: Task.cancelling()).
func (t *Task[T]) Cancelling() int { return t.core.Cancelling() }

// Uncancel withdraws one cancellation request and returns how many remain
// (Python: Task.uncancel()). Timeouts and groups use it to tell their own
// cancellations from outside ones.
func (t *Task[T]) Uncancel() int { return t.core.Uncancel() }

// Done returns a channel closed when the task has finished.
func (t *Task[T]) Done() <-chan struct{} { return t.fut.Done() }

// IsDone reports whether the task has finished.
func (t *Task[T]) IsDone() bool { return t.fut.IsDone() }

// Cancelled reports whether the task finished cancelled: its function
// returned an error matching duet.ErrCancelled.
func (t *Task[T]) Cancelled() bool { return t.fut.Cancelled() }

// Result returns the task's value and error without blocking
// (duet.ErrInvalidState while it runs).
func (t *Task[T]) Result() (T, error) { return t.fut.Result() }

// Name returns the task's name.
func (t *Task[T]) Name() string { return t.core.Name() }

// Name returns the task's name, "Task-N" unless one was given or its
// parent context names it.
func (c *task) Name() string {
	if c.name != "" {
		return c.name
	}
	if n, ok := c.parentCtx.(taskNamer); ok {
		return n.taskName()
	}
	return "Task-" + strconv.FormatUint(c.id, 10)
}

// taskNamer is a parent context that names the tasks spawned with it when
// they are given no name, for tasks that would otherwise keep a name
// string each (a server's handlers: handlerCtx).
type taskNamer interface{ taskName() string }

// ID returns the task's number, unique within its loop.
func (t *Task[T]) ID() uint64 { return t.core.id }

func (t *Task[T]) taskCore() *task { return &t.core }

// Context returns the task's context.
func (t *Task[T]) Context() context.Context { return t.core.context() }

// String returns the task's name and state.
func (t *Task[T]) String() string {
	state := "pending"
	switch {
	case t.fut.Cancelled():
		state = "cancelled"
	case t.fut.IsDone():
		state = "finished"
	}
	return fmt.Sprintf("<Task %s %s>", t.core.Name(), state)
}

// AnyTask is a task whatever its result type: every *Task[T] is one. It is
// what code that did not spawn a task gets to handle it by (CurrentTask,
// Loop.Tasks), as a Python task is the same object whoever holds it: the
// values are the *Task[T] pointers themselves, so == tells whether two
// are the same task and a type assertion to *Task[T] recovers Result and
// Future. The methods are Task's, with the same contracts.
type AnyTask interface {
	Name() string
	ID() uint64
	Cancel(msg string) bool
	Cancelling() int
	Uncancel() int
	Done() <-chan struct{}
	IsDone() bool
	Cancelled() bool
	Context() context.Context
	String() string
}

var _ AnyTask = (*Task[int])(nil)

// CurrentTask returns the task ctx belongs to, if that task is the one
// running now (Python: asyncio.current_task()); aio.Run's main task is one
// too. A task may cancel itself through it (the cancellation is delivered
// at its next wait, as in asyncio) or read and withdraw its cancellation
// requests (Cancelling, Uncancel). The second result is false, and the
// first nil, on a goroutine: one that holds a task's context while that
// task is suspended is not the task.
func CurrentTask(ctx context.Context) (AnyTask, bool) {
	if t, ok := park.Current(ctx).(*task); ok {
		return t.body.handle(), true
	}
	return nil, false
}

var labelSleep = park.NewLabel("Sleep")
