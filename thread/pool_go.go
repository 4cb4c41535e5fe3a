package thread

import (
	"context"
	"errors"
)

// goJob is a task given to Pool.Go: its function and the context it
// receives, in one 32-byte allocation (Submit's job, with its future, takes
// 128). Nothing waits for its outcome, so it has none to hold.
type goJob struct {
	fn  func(ctx context.Context) error
	ctx identCtx // Context: the Go ctx; id: set by the worker that runs it
}

var errNilGoFunc = errors.New("thread: Pool.Go with a nil function")

// Go runs fn on a worker of p without a future: fire and forget, for work
// whose outcome nobody collects, or that reports it its own way (a
// sync.WaitGroup, a channel, a counter). It is Submit without the per-task
// result object: one allocation of 32 bytes per call where Submit's job and
// future take 128, which counts at millions of tiny tasks. Go programmers
// know it as ants' Pool.Submit, conc's pool.Go or errgroup's Group.Go
// (without the Wait: pair Go with a sync.WaitGroup). Python:
// executor.submit(fn) with the future dropped, which silently loses fn's
// exception; here a failure is never lost (see below).
//
// Scheduling is Submit's: Go's tasks and Submit's share one queue and start
// in submission order, an idle worker takes the task first, and a new
// worker starts while the pool is below its size. fn receives a context
// with ctx's values and cancellation and the worker's identity (see
// Current, RLock, Local); it hides any loop task ctx belongs to, so fn
// waits like a goroutine. A nil ctx means context.Background().
//
// Go does not wait for fn. It waits only when the queue is full and the pool
// was not made WithRejectWhenFull: then a loop task's Go suspends the task
// and a goroutine's blocks, until room appears or ctx ends. Called from a
// task of p itself (with that task's ctx) while every worker is busy, Go
// never waits, so nested fan-out cannot deadlock the pool: with CallerRuns
// (the default) fn runs inline before Go returns, with Grow on an extra
// worker (see WithNested).
//
// Go returns nil once fn is queued, handed to a worker or, with CallerRuns,
// has run. It returns an error at once, and fn never runs, when:
//   - p or fn is nil;
//   - the pool was shut down (an error matching duet.ErrClosed, as Submit's)
//     or is broken (ErrBrokenPool);
//   - the queue is full and the pool was made WithRejectWhenFull
//     (ErrPoolFull);
//   - the queue was full and ctx ended (or the calling loop task was
//     cancelled) before room appeared, or ctx was done already: an error
//     matching duet.ErrCancelled, or duet.ErrTimeout for a deadline.
//
// Once Go has returned nil, fn runs exactly once, unless it is dropped
// while queued: by Shutdown with cancelFutures, by a pool that breaks (a
// worker's initializer failed), or because ctx is done by the time a worker
// picks it up. A dropped fn is reported nowhere: nobody asked for an
// outcome, and a dropped fn is what Submit reports as a cancelled future.
// Wait for your own completion signal with that in mind (a WaitGroup that
// counts dropped tasks never reaches zero): Shutdown(true, false) runs
// every queued task, or count completions from a deferred call in fn.
//
// No failure of fn is lost: a non-nil error, a panic (a *duet.PanicError
// with the stack) or runtime.Goexit goes to the except hook (see
// SetExceptHook) as ExceptHookArgs{Thread: the worker's Info, Err: the
// error}, at once, on the worker, before it takes its next task. There is no
// garbage-collection wait as for a Thread: nobody can retrieve the error
// later. Keep the hook prompt. An error that says fn was stopped is not
// reported, as for threads: one matching duet.ErrCancelled, or
// context.Canceled once ctx was cancelled (fn returning ctx.Err()); a
// passed deadline is reported, since the work did not get done. A panic
// does not kill the worker; Goexit ends the worker's goroutine, and the
// pool accounts for it as for Submit.
func (p *Pool) Go(ctx context.Context, fn func(ctx context.Context) error) error {
	switch {
	case ctx == nil:
		return nilCtx("Pool.Go")
	case p == nil:
		return errNilPool
	case fn == nil:
		return errNilGoFunc
	}
	j := &goJob{fn: fn}
	j.ctx.Context = ctx
	return p.submit(ctx, j)
}

// fail drops a task that will never run (its pool broke): nobody waits
// for its outcome.
func (j *goJob) fail(error) {}

// cancelQueued drops a task that Shutdown(cancelFutures) took off the queue.
func (j *goJob) cancelQueued() {}

func (j *goJob) ctxErr() error { return j.ctx.doneErr() }

// run runs the task unless its context ended first, and hands its failure,
// which nobody else can retrieve, to the except hook.
func (j *goJob) run(self *ident) {
	if j.ctx.Context.Err() != nil {
		return
	}
	j.ctx.id = self
	returned := false
	defer func() {
		if !returned {
			// A panic is reported and the worker carries on; on
			// runtime.Goexit the goroutine dies whatever we do (the
			// worker accounts for it), but the exit is reported.
			reportGo(self, abnormalEnd(recover()))
		}
	}()
	err := j.fn(&j.ctx)
	returned = true
	if err != nil && !stopped(j.ctx.Context, err) {
		reportGo(self, err)
	}
}

func reportGo(self *ident, err error) {
	callExceptHook(ExceptHookArgs{Thread: self.info(), Err: err})
}
