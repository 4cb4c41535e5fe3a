package duet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/ilist"
	"github.com/duet-go/duet/internal/park"
)

// Group runs functions concurrently and waits for all of them: structured
// concurrency (Python: asyncio.TaskGroup; Go: errgroup, with asyncio's
// cancellation). Make one with NewGroup, start children with Go, and always
// end with Wait:
//
//	g, ctx := duet.NewGroup(ctx)
//	a := duet.Go(g, func(ctx context.Context) (int, error) { ... })
//	b := duet.Go(g, func(ctx context.Context) (string, error) { ... })
//	if err := g.Wait(); err != nil {
//		return err // the child failure, or several joined (errors.Is/As see each)
//	}
//	va, _ := a.Result()
//
// The first child that fails (with an error that is not a cancellation)
// cancels every other child and the body: the task that called NewGroup is
// cancelled once (its current or next wait fails with a cancellation, which
// the body should return on, calling Wait), or, for a body on a goroutine,
// the group's context is cancelled. Wait then withdraws that cancellation of
// the body task (Uncancel), so that enclosing timeouts and groups tell it
// from their own. Errors from children's cancellations are not collected.
//
// A body that fails on its own stops the children with Cancel before Wait
// (Python's "async with" does that when the body raises).
//
// A Group is safe for concurrent use: Go may be called from children and
// from other goroutines while the body waits.
type Group struct {
	parent context.Context
	ctx    *scopeCtx
	task   park.Task // the body's task, or nil for a body on a goroutine
	loop   park.Loop // children are tasks of this loop, or goroutines if nil
	entry  int       // task.Cancelling() at NewGroup

	mu       sync.Mutex
	state    groupState
	children ilist.List[groupChild, *groupChild] // not yet finished, in start order
	errs     []error
	result   error        // Wait's, once it has returned
	refused  error        // NewGroup was given a nil ctx: Go and Wait return this
	waiter   *park.Waiter // the body waiting in Wait for the last child
}

// groupState is where a group stands, in its life and in stopping its
// children: the two change independently (a group may abort before or
// during Wait), and every decision reads both.
type groupState struct {
	phase groupPhase
	abort groupAbort
}

type groupPhase uint8

const (
	groupOpen     groupPhase = iota // Wait not called yet
	groupWaiting                    // Wait waits for the children (Python: _exiting)
	groupFinished                   // Wait has returned: result is final
)

type groupAbort uint8

const (
	notAborting groupAbort = iota
	// The children are being cancelled because the body is being
	// cancelled from outside (Python: _aborting).
	abortingChildren
	// The children are being cancelled and the group has cancelled the
	// body once, after a child failure or Cancel (Python: _aborting and
	// _parent_cancel_requested); Wait withdraws that cancellation.
	abortingBody
)

// closedLocked reports whether the group takes no more children: Wait has
// returned, or it waits and no child is left to start one (Python: "TaskGroup
// is finished").
func (g *Group) closedLocked() bool {
	return g.state.phase == groupFinished || (g.state.phase == groupWaiting && g.children.Len() == 0)
}

type groupChild struct {
	cancel func(msg string) bool
	links  ilist.Links[groupChild]
}

// ListLinks gives the group's list of children its links.
func (c *groupChild) ListLinks() *ilist.Links[groupChild] { return &c.links }

// NewGroup returns an empty group and the context for its body.
//
// Where the children run follows ctx: when ctx belongs to an event loop (a
// task's context, or aio's Loop.Context), children are tasks of that loop;
// otherwise each child runs on a goroutine of its own (threading's model).
// When NewGroup is called from a running loop task, that task is the body
// that a failing child cancels.
//
// The returned context is done when a child fails, when ctx is done, and
// once Wait has returned; use it for the body's work and nothing after
// Wait. A nil ctx is refused (see ErrNilContext): the group's Wait, and
// every Go on it, return the refusal, and the context returned is nil.
// Python: "async with asyncio.TaskGroup() as tg".
func NewGroup(ctx context.Context) (*Group, context.Context) {
	if ctx == nil {
		// Refused: a group that is over before it began, whose Go and
		// Wait return the refusal.
		err := nilCtx("NewGroup")
		return &Group{state: groupState{phase: groupFinished}, result: err, refused: err}, nil
	}
	g := &Group{parent: ctx}
	g.task = park.Current(ctx)
	g.loop = park.LoopOf(ctx)
	if g.task != nil {
		g.entry = g.task.Cancelling()
	}
	g.ctx = newScope(ctx, g.task, nil)
	return g, g.ctx
}

var (
	errGroupFinished = fmt.Errorf("duet: Go on a Group whose Wait has returned (start children before Wait returns, or make a new Group): %w", ErrClosed)
	errGroupAborting = fmt.Errorf("duet: Go on a Group that is shutting down after a failure or cancellation: %w", ErrClosed)
	errWaitNotBody   = fmt.Errorf("duet: Group.Wait called from outside the group's body: only the task that called NewGroup may wait for its group (another task or goroutine can await that task): %w", ErrInvalidState)
)

// Go starts fn as a child of g and returns the future of its outcome (a
// generic function, since Go methods cannot be generic). Python:
// TaskGroup.create_task.
//
// fn runs as a new task of g's loop (starting in a later loop iteration, as
// asyncio tasks do) or, for a group without a loop, on a new goroutine; its
// context carries the values of the group's context. Cancelling the returned
// future cancels the child: a task is cancelled (asyncio semantics), a
// goroutine's context is cancelled. A panic in fn fails the child with a
// *PanicError (value and stack).
//
// Children may be added while Wait waits. Go on a group whose Wait has
// returned, or that is shutting down after a failure, starts nothing: the
// future fails at once with an error matching ErrClosed.
func Go[T any](g *Group, fn func(ctx context.Context) (T, error)) *Future[T] {
	fut := NewFuture[T]()
	if g == nil {
		fut.SetError(errors.New("duet: Go with a nil *Group (make one with NewGroup)"))
		return fut
	}
	if fn == nil {
		fut.SetError(errors.New("duet: Go with a nil function"))
		return fut
	}
	c := &groupChild{cancel: fut.Cancel}
	how, err := admit(g, c, fut)
	if err != nil {
		fut.Complete(*new(T), err)
		return fut
	}
	startChild(g, how, fn, fut)
	fut.AddDoneCallback(g.ctx, func(f *Future[T]) {
		_, err := f.Result()
		g.childDone(c, err)
	})
	return fut
}

// admit lists c as a child of g, unless g takes no more children (the
// error says why). It first binds fut to the owner that cancels the child
// in the world it will run in, so that an abort that finds the child
// listed cancels it through that owner, and returns how to start it.
func admit[T any](g *Group, c *groupChild, fut *Future[T]) (childStart, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.refused != nil:
		return childStart{}, g.refused
	case g.closedLocked():
		return childStart{}, errGroupFinished
	case g.state.abort != notAborting:
		return childStart{}, errGroupAborting
	}
	how := bindChild(g, fut)
	g.children.PushBack(c)
	return how, nil
}

// childStart is how a child just admitted runs: as a task of the group's
// loop (task is its owner), or else on a goroutine of its own, with a
// context that its owner cancels.
type childStart struct {
	task   *loopChild
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// bindChild makes the owner of fut, the future of a child of g; g.mu is
// held.
func bindChild[T any](g *Group, fut *Future[T]) childStart {
	if g.loop != nil {
		lc := &loopChild{loop: g.loop, done: fut.IsDone, cancel: func(msg string) {
			fut.Complete(*new(T), &CancelledError{Msg: msg})
		}}
		futhook.Bind(fut, lc)
		return childStart{task: lc}
	}
	ctx, cancel := context.WithCancelCause(g.ctx)
	futhook.Bind(fut, &goChild{cancel: cancel, done: fut.IsDone})
	return childStart{ctx: ctx, cancel: cancel}
}

// startChild starts fn, which completes fut, the way how says.
func startChild[T any](g *Group, how childStart, fn func(context.Context) (T, error), fut *Future[T]) {
	if how.task == nil {
		go func() {
			defer how.cancel(nil)
			runChild(how.ctx, fn, fut)
		}()
		return
	}
	lc := how.task
	lc.set(g.loop.Go(g.ctx, "", func(ctx context.Context) {
		if lc.start() {
			runChild(ctx, fn, fut)
		}
	}, func(err error) {
		// The task never ran fn (closed loop, cancelled before it
		// started) or was destroyed in it: the future must still end.
		if err == nil {
			err = &CancelledError{Msg: "duet: group task ended without running"}
		}
		fut.Complete(*new(T), err)
	}))
}

// goChild is the owner of a goroutine child's future: cancelling the future
// cancels the child's context.
type goChild struct {
	cancel context.CancelCauseFunc
	done   func() bool
}

func (c *goChild) Cancel(msg string) bool {
	if c.done() {
		return false
	}
	c.cancel(&CancelledError{Msg: msg})
	return true
}

// OnFailure does nothing: the group retrieves every child's error.
func (c *goChild) OnFailure(*futhook.Failure) {}

// loopChild is the owner of a task child's future. It exists before the
// task does, so a cancellation may arrive first; and since a task cancelled
// before it starts never runs its function, a cancellation before the start
// completes the future itself, on the loop, one iteration later, as the
// task's own completion would.
type loopChild struct {
	mu       sync.Mutex
	state    int // childPending, childStarted, childCancelledEarly
	cancelFn func(string) bool
	pending  bool // a cancellation arrived before cancelFn
	msg      string
	loop     park.Loop
	done     func() bool      // the future is complete
	cancel   func(msg string) // completes the future as cancelled
}

const (
	childPending = iota
	childStarted
	childCancelledEarly
)

func (c *loopChild) Cancel(msg string) bool {
	if c.done() {
		return false
	}
	c.mu.Lock()
	switch c.state {
	case childCancelledEarly:
		c.mu.Unlock()
		return true // still finishing, like a task cancelled twice
	case childPending:
		c.state = childCancelledEarly
		c.msg = msg
		fn := c.cancelFn
		c.mu.Unlock()
		if fn != nil {
			fn(msg)
		}
		c.loop.Post(func() { c.cancel(msg) })
		return true
	}
	fn := c.cancelFn
	if fn == nil {
		if !c.pending {
			c.pending, c.msg = true, msg
		}
		c.mu.Unlock()
		return true
	}
	c.mu.Unlock()
	return fn(msg)
}

// OnFailure does nothing: the group retrieves every child's error.
func (c *loopChild) OnFailure(*futhook.Failure) {}

// start reports whether the child's function may run.
func (c *loopChild) start() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != childPending {
		return false
	}
	c.state = childStarted
	return true
}

func (c *loopChild) set(fn func(string) bool) {
	c.mu.Lock()
	c.cancelFn = fn
	pass := (c.state == childStarted && c.pending) || c.state == childCancelledEarly
	msg := c.msg
	c.mu.Unlock()
	if pass {
		fn(msg)
	}
}

// runChild runs fn and completes fut with its outcome or panic.
func runChild[T any](ctx context.Context, fn func(context.Context) (T, error), fut *Future[T]) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r := recover()
		var zero T
		switch {
		case isLoopTeardown(r):
			fut.Complete(zero, &CancelledError{Msg: "task destroyed: its loop was closed"})
			panic(r) // let the loop finish unwinding the task
		case r == nil:
			fut.Complete(zero, errors.New("duet: group child exited without returning (runtime.Goexit)"))
		default:
			fut.Complete(zero, NewPanicError(r))
		}
	}()
	v, err := fn(ctx)
	returned = true
	fut.Complete(v, err)
}

// isLoopTeardown recognises the value a loop panics with to unwind a task
// whose loop was closed under it: it must not be turned into a PanicError.
func isLoopTeardown(r any) bool {
	_, ok := r.(park.Unwind)
	return ok
}

// abortLocked starts the group's abort, to level (abortingChildren or
// abortingBody), unless it has started already: it reports whether it
// did, and what to cancel once g.mu is released.
func (g *Group) abortLocked(level groupAbort) (abortAction, bool) {
	if g.state.abort != notAborting {
		return abortAction{}, false
	}
	g.state.abort = level
	a := abortAction{g: g, body: level == abortingBody}
	g.children.Each(func(c *groupChild) { a.children = append(a.children, c.cancel) })
	return a, true
}

// abortAction is an abort decided under g.mu, carried out after it is
// released: cancelling the children still running, in start order, and,
// when the group cancels its body, the group's context and the body task
// (once).
type abortAction struct {
	g        *Group
	children []func(string) bool
	body     bool
}

func (a abortAction) do() {
	for _, cancel := range a.children {
		cancel("")
	}
	if a.body {
		a.g.ctx.cancel(context.Canceled)
		if a.g.task != nil {
			a.g.task.Cancel("")
		}
	}
}

func isCancellation(err error) bool {
	var pe *PanicError
	if errors.As(err, &pe) {
		return false
	}
	return errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled)
}

// childDone runs when a child's future completes: on the loop, in a later
// step, for task children (asyncio's done callback), else synchronously.
func (g *Group) childDone(c *groupChild, err error) {
	g.mu.Lock()
	g.children.Remove(c)
	var w *park.Waiter
	if g.state.phase != groupOpen && g.children.Len() == 0 {
		w, g.waiter = g.waiter, nil
	}
	if err == nil || isCancellation(err) {
		g.mu.Unlock()
		if w != nil {
			w.Wake()
		}
		return
	}
	g.errs = append(g.errs, err)
	// The first failure aborts the group (Python: _on_task_done).
	a, _ := g.abortLocked(abortingBody)
	g.mu.Unlock()
	if w != nil {
		w.Wake()
	}
	a.do()
}

// Cancel aborts the group: every child not yet finished is cancelled, and
// so is the body task once (its current or next wait fails with a
// cancellation; the group's context is done). Wait then waits for the
// children and returns their failures, if any, but no cancellation: Wait
// withdraws the body's cancellation as it does after a failure. Cancel is
// the way for a body that fails on its own to stop its children:
//
//	if err := work(ctx); err != nil {
//		g.Cancel()
//		return errors.Join(err, g.Wait())
//	}
//
// Cancel after Wait has returned, or a second time, does nothing. Safe from
// any goroutine. Python 3.15: TaskGroup.cancel().
func (g *Group) Cancel() {
	if g == nil {
		return
	}
	g.mu.Lock()
	if g.closedLocked() {
		g.mu.Unlock()
		return
	}
	a, _ := g.abortLocked(abortingBody)
	g.mu.Unlock()
	a.do()
}

// Wait waits until every child has finished, children started meanwhile
// included, and returns their failures: a single failure as it is, several
// joined with errors.Join in the order they happened (errors.Is and
// errors.As see each one). Python: leaving "async with
// asyncio.TaskGroup()", which raises an ExceptionGroup, even of one.
//
// Call Wait from the body: the task (suspended while it waits) or goroutine
// (blocked) that called NewGroup, as only the task that entered "async with
// TaskGroup()" leaves it. When the body is a task, Wait called by anyone
// else (another task, a goroutine) while that task is not running returns
// an error matching ErrInvalidState at once and changes nothing: Wait has
// no context to tell a task from a goroutine, a task blocked in Wait would
// freeze its loop, and the body's cancellation that Wait withdraws is the
// body task's own. Another task or goroutine waits for the group by
// awaiting the body's task. (A goroutine that calls Wait while the body
// task runs is taken for it, as for any wait with a task's context; debug
// mode reports it.) When the body is a goroutine, Wait blocks its caller,
// which must therefore not be a task of the group's loop.
//
// Cancellation of the body is asyncio's:
//
//   - If the body task is cancelled from outside (before Wait, while Wait
//     waits, or both), every child is cancelled, Wait still waits for all of
//     them, and returns the cancellation (matching ErrCancelled), unless
//     children failed: then it returns their errors and cancels the body
//     task again so that the outside cancellation is not lost (gh-116720).
//     For a body on a goroutine, ctx being done plays the outside
//     cancellation.
//   - The group's own cancellation of the body (after a child failure) is
//     withdrawn with Uncancel; Wait returns a cancellation only if another
//     one is still pending on the task.
//
// Wait may be called again, by any caller: once it has returned, it
// returns the same result at once. A concurrent second Wait fails with an
// error matching ErrInvalidState. Once Wait has returned, the group's
// context is done.
func (g *Group) Wait() error {
	if g == nil {
		return errors.New("duet: Wait on a nil *Group (make one with NewGroup)")
	}
	ex, entered, err := g.enterWait()
	if !entered {
		return err
	}
	ex = g.waitChildren(ex)
	ex = g.withdrawOwnCancel(ex)
	result := g.outcome(ex)
	g.ctx.cancel(context.Canceled)
	g.mu.Lock()
	g.result = result
	g.state.phase = groupFinished
	g.mu.Unlock()
	return result
}

var errWaitConcurrent = fmt.Errorf("duet: Group.Wait called while another Wait of the same group is in progress: %w", ErrInvalidState)

// waitExit is what Wait learns of the body's cancellation on its way out
// (Python: __aexit__'s propagate_cancellation_error, and the latest
// CancelledError its wait caught).
type waitExit struct {
	propagate error // the cancellation Wait returns, unless children failed
	pending   error // the latest cancellation that interrupted the wait
}

// enterWait starts the group's exit (Python: entering __aexit__), unless
// Wait must return at once (entered false): with the result of a Wait
// that has returned, or refusing a caller that is not the body or that
// comes while another Wait waits. A body already being cancelled from
// outside has the children cancelled now, and that cancellation
// propagates.
func (g *Group) enterWait() (ex waitExit, entered bool, err error) {
	g.mu.Lock()
	switch {
	case g.state.phase == groupFinished:
		err = g.result
	case g.task != nil && !g.task.Running():
		// Not the body: a task cannot be told from a goroutine without a
		// context, and blocking a task would freeze its loop.
		err = errWaitNotBody
	case g.state.phase == groupWaiting:
		err = errWaitConcurrent
	default:
		entered = true
	}
	if !entered {
		g.mu.Unlock()
		return ex, false, err
	}
	g.state.phase = groupWaiting
	var a abortAction
	if cerr := g.outsideCancelLocked(); cerr != nil {
		// Python: __aexit__ entered with CancelledError.
		ex.propagate = cerr
		a, _ = g.abortLocked(abortingChildren)
	}
	g.mu.Unlock()
	a.do()
	return ex, true, nil
}

// waitChildren waits, as the body (a task suspends, a goroutine blocks),
// until no child is left, children started meanwhile included. A
// cancellation of the body does not end the wait: it is kept as pending,
// and the first one that finds the group not aborting yet, an outside
// cancellation, aborts it and is the one to propagate.
func (g *Group) waitChildren(ex waitExit) waitExit {
	waitCtx := g.parent
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.children.Len() > 0 {
		w := park.NewWaiter(waitCtx).Labeled(labelGroup, g)
		g.waiter = w
		g.mu.Unlock()
		err := park.Park(waitCtx, w)
		g.mu.Lock()
		if g.waiter == w {
			g.waiter = nil
		}
		if err == nil {
			continue
		}
		ex.pending = err
		if a, started := g.abortLocked(abortingChildren); started {
			// The body is being cancelled from outside.
			ex.propagate = err
			g.mu.Unlock()
			a.do()
			g.mu.Lock()
		}
		// A context stays done: wait on with one that is not, so that
		// only new task cancellations interrupt the wait.
		waitCtx = context.WithoutCancel(g.parent)
	}
	return ex
}

// withdrawOwnCancel withdraws, with Uncancel, the cancellation the group
// itself gave its body task: Wait propagates a cancellation only if
// another one is still pending on the task (gh-155433: then it is not
// ours to drop, even if no outside cancellation interrupted the wait).
func (g *Group) withdrawOwnCancel(ex waitExit) waitExit {
	g.mu.Lock()
	own := g.state.abort == abortingBody
	g.mu.Unlock()
	if !own || g.task == nil {
		return ex
	}
	if g.task.Uncancel() <= g.entry {
		ex.propagate = nil
	} else if ex.propagate == nil {
		ex.propagate = ex.pending
	}
	return ex
}

// outcome is what Wait returns: the children's failures, which take
// precedence over a cancellation of the body; that cancellation is then
// requested again so that it is not lost (gh-116720). With no failure, the
// cancellation to propagate, if any.
func (g *Group) outcome(ex waitExit) error {
	g.mu.Lock()
	errs := g.errs
	g.mu.Unlock()
	if len(errs) == 0 {
		return ex.propagate
	}
	if g.task != nil && g.task.Cancelling() > g.entry {
		// Keep an outside cancellation pending, and delivered again,
		// though the errors take precedence.
		g.task.Uncancel()
		g.task.Cancel(cancelMsgOf(ex.pending))
	}
	return joinFailures(errs)
}

// joinFailures returns the one failure of errs as itself, and several
// joined: a join of one would look like a group (Unwrap() []error) for no
// gain.
func joinFailures(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// outsideCancelLocked reports the cancellation the body has received from
// outside the group before Wait, if any: a cancellation request pending on
// the body task beyond those at NewGroup and the group's own, or the end of
// ctx for a body on a goroutine.
func (g *Group) outsideCancelLocked() error {
	if g.task != nil {
		own := 0
		if g.state.abort == abortingBody {
			own = 1
		}
		if g.task.Cancelling()-own > g.entry {
			return &CancelledError{Msg: "the group's body task is being cancelled"}
		}
		return nil
	}
	if g.parent.Err() != nil {
		return ctxCancelled(g.parent)
	}
	return nil
}

var labelGroup = park.NewLabel("Group.Wait")
