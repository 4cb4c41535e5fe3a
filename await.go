package duet

import (
	"context"
	"fmt"
	"time"

	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/park"
)

// Awaitable is anything Await can wait for: a *Future, a task
// (*aio.Task), a thread (*thread.Thread, *thread.Timer), each of which
// hands out the future of its outcome.
type Awaitable[T any] interface {
	// Future returns the future that completes with the outcome. It must be
	// nil-safe: on a nil receiver it returns nil, so that Await and the
	// combinators refuse a typed nil with ErrNilAwaitable rather than
	// panic.
	Future() *Future[T]
}

// Await waits for a to complete and returns its value and error.
//
// On a loop task (ctx is the task's context, or derived from it) Await
// suspends the task and the loop runs other tasks meanwhile; an already
// complete awaitable returns at once without yielding, as in Python.
// Cancelling the awaiting task cancels a (Python's await semantics); wrap a
// in Shield to prevent that. A future that refuses the cancellation because
// it runs elsewhere (a thread-pool job already started, a thread) is left
// running and the task stops waiting at once, as for a future from
// asyncio.wrap_future; a task being awaited, which may take its time to
// handle the cancellation, is waited for.
//
// On any other goroutine Await blocks it until a completes or ctx is done;
// then it returns an error matching ErrCancelled (or ErrTimeout for a
// deadline) and leaves a running, like concurrent.futures' result(timeout).
func Await[T any](ctx context.Context, a Awaitable[T]) (T, error) {
	if ctx == nil {
		var zero T
		return zero, nilCtx("Await")
	}
	f, err := futureOf(a)
	if err != nil {
		var zero T
		return zero, err
	}
	if f.IsDone() {
		return f.Result()
	}
	if t := park.Current(ctx); t != nil {
		return awaitOnTask(ctx, t, f)
	}
	if ctx.Done() == nil {
		<-f.Done()
		return f.Result()
	}
	select {
	case <-f.Done():
		return f.Result()
	case <-ctx.Done():
		var zero T
		return zero, ctxCancelled(ctx)
	}
}

func awaitOnTask[T any](ctx context.Context, t park.Task, f *Future[T]) (T, error) {
	w := t.AwaitWaiter().Labeled(labelAwait, f.owner)
	w.Target = (*relayTarget[T])(f)
	// A future that refuses cancellation while it runs elsewhere (a pool
	// job, which has no owner, or a thread): the task stops waiting, the
	// work goes on.
	w.DetachOnRefuse = f.owner == nil || f.detach
	if in, ok := f.owner.(futhook.Inline); ok {
		if ran, err := in.RunNow(t, w); ran && f.IsDone() {
			if err != nil {
				var zero T
				return zero, err
			}
			return f.Result()
		}
	}
	// A task awaiting itself is refused here, not first thing: RunNow
	// never runs a task that is running (it has started), so the check
	// costs nothing on the path of a spawn awaited at once.
	if p, ok := f.owner.(futhook.TaskProducer); ok && p.Producer() == t {
		var zero T
		return zero, errAwaitSelf
	}
	if !f.subscribe(w) {
		return f.Result()
	}
	if err := t.Suspend(ctx, w, nil); err != nil {
		f.unsubscribe(w)
		var zero T
		return zero, err
	}
	return f.Result()
}

// errAwaitSelf refuses a task's wait for its own outcome, which could
// never come (Python: RuntimeError "Task cannot await on itself").
var errAwaitSelf = fmt.Errorf("duet: %w: a task cannot await itself (it would wait for its own outcome forever)", ErrInvalidState)

// relayTarget is a future seen as what cancelling a task that awaits it
// cancels: the cancellation goes on to the future's producer with the path
// it took, so that an await cycle ends it (see park.Relay).
type relayTarget[T any] Future[T]

func (r *relayTarget[T]) Cancel(msg string) bool { return (*Future[T])(r).cancelVia(msg, nil) }

func (r *relayTarget[T]) CancelVia(msg string, via *park.Via) bool {
	return (*Future[T])(r).cancelVia(msg, via)
}

func futureOf[T any](a Awaitable[T]) (*Future[T], error) {
	if a == nil {
		return nil, ErrNilAwaitable
	}
	f := a.Future() // every Awaitable in duet is nil-safe: a typed nil gives nil
	if f == nil {
		return nil, ErrNilAwaitable
	}
	return f, nil
}

// Sleep pauses for d. On a loop task it suspends the task on the loop's
// clock (real or virtual) and d <= 0 yields to the other ready tasks once,
// like asyncio.sleep(0). On a goroutine it blocks; d <= 0 returns at once.
//
// It returns early with an error when its wait is ended first: one matching
// ErrTimeout (a *TimeoutError, which also matches context.DeadlineExceeded
// but not ErrCancelled) when ctx's deadline passes or had already passed,
// on a task as on a goroutine; one matching ErrCancelled when ctx is
// cancelled or the waiting task is (Python: CancelledError). Inside
// WithTimeout on a task the expiry cancels the task, so Sleep returns the
// cancellation and WithTimeout turns it into its timeout, as
// asyncio.sleep inside asyncio.timeout does.
func Sleep(ctx context.Context, d time.Duration) error {
	if ctx == nil {
		return nilCtx("Sleep")
	}
	if t := park.Current(ctx); t != nil {
		return t.Sleep(ctx, d)
	}
	if err := ctx.Err(); err != nil {
		return ctxCancelled(ctx)
	}
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctxCancelled(ctx)
	}
}

// Labels of the waits on futures (see park.Label): Await, and the
// combinators' waits (Wait, Gather, AsCompleted, WaitFor) on their watcher.
var (
	labelAwait = park.NewLabel("Await")
	labelWait  = park.NewLabel("Wait")
)
