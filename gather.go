package duet

import (
	"context"
	"errors"

	"github.com/duet-go/duet/internal/park"
)

// Outcome is how one awaitable of GatherAll ended: its value, or its error
// (a cancellation included). Python: an element of the list that
// gather(..., return_exceptions=True) returns.
type Outcome[T any] struct {
	Value T     // the value, when Err is nil
	Err   error // the failure or cancellation, or nil
}

// Gather waits for every awaitable in aws and returns their values in
// argument order (Python: asyncio.gather). The awaitables run concurrently
// already (tasks, futures); Gather only waits. An awaitable given twice is
// waited for once and its value appears at both positions. No awaitables
// gives an empty slice at once.
//
// The first failure is returned as soon as it is seen, with a nil slice,
// while the other awaitables keep running, as in asyncio (use a Group to
// have them cancelled). A child that is cancelled counts as a failure: Gather
// returns its cancellation error (matching ErrCancelled) and the others
// continue. Errors of children that fail after Gather returned are marked as
// retrieved, as asyncio does, so the loop does not report them.
//
// Awaitables already done are accounted for at once, as in asyncio.gather
// since Python 3.12: if they decide the outcome (all done, or one failed)
// Gather returns without yielding to the loop. Otherwise, on a loop task,
// Gather suspends the task, and it resumes in the same iteration as
// asyncio's (two after the deciding completion: the child's done callback,
// then the gathering future's).
//
// Cancelling the waiting task cancels every child not yet done (Python:
// cancelling the gather future), and Gather returns a cancellation once a
// child reports its cancellation, or once all are done if they all
// swallowed it. On a goroutine Gather blocks; when ctx
// is done it cancels the unfinished children and returns ctx's cancellation
// at once, without waiting for them.
//
// A nil awaitable is an error (matching ErrNilAwaitable), reported before
// anything is waited for.
func Gather[T any](ctx context.Context, aws ...Awaitable[T]) ([]T, error) {
	if ctx == nil {
		return nil, nilCtx("Gather")
	}
	g, err := newGathering("Gather", aws, false)
	if err != nil {
		return nil, err
	}
	if len(aws) == 0 {
		return []T{}, nil
	}
	if err := g.run(ctx); err != nil {
		return nil, err
	}
	out := make([]T, len(aws))
	for k, i := range g.d.pos {
		out[k] = g.d.futs[i].value
	}
	return out, nil
}

// GatherAll waits for every awaitable in aws to complete and returns each
// one's Outcome in argument order, failures and cancellations included
// (Python: asyncio.gather(..., return_exceptions=True)). The error is non-nil
// only for bad input (a nil awaitable) or when the caller is cancelled:
// cancelling the waiting task cancels the unfinished children and GatherAll
// returns a cancellation once they have all finished; on a goroutine, ctx
// being done cancels them and returns at once. Duplicates are waited for
// once, as in Gather.
func GatherAll[T any](ctx context.Context, aws ...Awaitable[T]) ([]Outcome[T], error) {
	if ctx == nil {
		return nil, nilCtx("GatherAll")
	}
	g, err := newGathering("GatherAll", aws, true)
	if err != nil {
		return nil, err
	}
	if len(aws) == 0 {
		return []Outcome[T]{}, nil
	}
	if err := g.run(ctx); err != nil {
		return nil, err
	}
	out := make([]Outcome[T], len(aws))
	for k, i := range g.d.pos {
		f := g.d.futs[i]
		out[k] = Outcome[T]{Value: f.value, Err: f.err}
	}
	return out, nil
}

// gathering is one call of Gather or GatherAll: asyncio's _GatheringFuture.
type gathering[T any] struct {
	d   distinctSet[T]
	w   *watcher[T]
	all bool // return_exceptions

	// guarded by w.mu
	nfinished       int
	failed          error
	cancelRequested bool
	cancelMsg       string
}

func newGathering[T any](op string, aws []Awaitable[T], all bool) (*gathering[T], error) {
	d, err := distinct(op, aws)
	if err != nil {
		return nil, err
	}
	return &gathering[T]{d: d, all: all}, nil
}

func (g *gathering[T]) onDone(i int) bool {
	f := g.d.futs[i]
	if g.w.signalled {
		f.Err() // the outcome is decided: mark the error retrieved
		return true
	}
	g.nfinished++
	if !g.all {
		if _, err := f.Result(); err != nil {
			g.failed = err
			return true
		}
	}
	if g.nfinished == len(g.d.futs) {
		if g.all {
			for _, f := range g.d.futs {
				f.Err()
			}
		}
		return true
	}
	return false
}

// Cancel is what cancelling the waiting task cancels (Python:
// _GatheringFuture.cancel): every child not yet done. It reports whether any
// child accepted the cancellation; then the gathering ends as cancelled.
func (g *gathering[T]) Cancel(msg string) bool { return g.CancelVia(msg, nil) }

// CancelVia is Cancel on behalf of the waiting tasks in via (park.Relay):
// the path goes on to the children, so a gather that includes the task
// awaiting it ends on cancellation instead of recursing.
func (g *gathering[T]) CancelVia(msg string, via *park.Via) bool {
	g.w.mu.Lock()
	if g.w.signalled || g.w.closed {
		g.w.mu.Unlock()
		return false
	}
	var pending []*Future[T]
	for _, f := range g.d.futs {
		if !f.IsDone() {
			pending = append(pending, f)
		}
	}
	// Set before cancelling: a child cancelled from another goroutine may
	// be processed on the loop before we get the lock back.
	prev, prevMsg := g.cancelRequested, g.cancelMsg
	g.cancelRequested = true
	if g.cancelMsg == "" {
		g.cancelMsg = msg
	}
	g.w.mu.Unlock()
	ret := false
	for _, f := range pending {
		if f.cancelVia(msg, via) {
			ret = true
		}
	}
	if !ret {
		g.w.mu.Lock()
		if !g.w.signalled {
			g.cancelRequested, g.cancelMsg = prev, prevMsg
		}
		g.w.mu.Unlock()
	}
	return ret
}

func (g *gathering[T]) run(ctx context.Context) error {
	task := park.Current(ctx)
	g.w = newWatcher(loopOf(task), g.d.futs, g.onDone)
	g.w.late = func(f *Future[T]) { f.Err() }
	g.w.start(true)
	var target park.Canceller
	if task != nil {
		target = g
	}
	err := g.w.wait(ctx, target)
	g.w.mu.Lock()
	failed, creq, msg := g.failed, g.cancelRequested, g.cancelMsg
	g.w.mu.Unlock()
	// Keep the subscriptions: like asyncio's gather, later failures of
	// the children are marked retrieved.
	signalled := g.w.close(false)
	if err != nil && (task != nil || !signalled) {
		if !signalled {
			for _, f := range g.d.futs {
				f.Cancel(cancelMsgOf(err))
			}
		}
		return err
	}
	if failed != nil {
		return failed
	}
	if creq {
		return &CancelledError{Msg: msg}
	}
	return nil
}

// cancelMsgOf returns the message of a cancellation to pass it on.
func cancelMsgOf(err error) string {
	var ce *CancelledError
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return ""
}
