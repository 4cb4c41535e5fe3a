package aio

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/thread"
)

// The default executor: Python's lazily made ThreadPoolExecutor of
// run_in_executor(None, ...) and to_thread.
type executorState struct {
	mu      sync.Mutex
	pool    *thread.Pool
	owned   bool          // made by the loop, so the loop shuts it down
	timeout time.Duration // how long Run waits for it at shutdown, if set
	set     bool          // WithExecutorShutdownTimeout was given
}

// DefaultExecutorShutdownTimeout bounds how long Run waits for the default
// executor's work at shutdown when WithExecutorShutdownTimeout is not given
// (Python waits up to 300 s). Work still running then is abandoned: it
// finishes on its own and the loop's exception handler is told.
const DefaultExecutorShutdownTimeout = 10 * time.Second

// WithDefaultExecutor makes p the loop's default executor (Python:
// loop.set_default_executor). The loop does not shut down a pool it was
// given: its owner does.
func WithDefaultExecutor(p *thread.Pool) Option {
	return func(l *Loop) { l.exec.pool, l.exec.owned = p, false }
}

// WithExecutorShutdownTimeout sets how long Run waits for the default
// executor's work at shutdown (DefaultExecutorShutdownTimeout unless
// given), by duet's timeout rule. A positive d waits at most that long;
// work still unfinished then is abandoned (queued work is cancelled and
// never runs, running work finishes on its own) and the exception handler
// is told. d <= 0 does not wait: the executor is shut down and Run returns
// at once, abandoning what is unfinished the same way but reporting
// nothing, since not waiting was asked for. duet.NoTimeout waits for all
// the work without limit. Python: loop.shutdown_default_executor(timeout),
// where timeout=None waits without limit.
func WithExecutorShutdownTimeout(d time.Duration) Option {
	return func(l *Loop) { l.exec.timeout, l.exec.set = d, true }
}

// SetDefaultExecutor replaces the loop's default executor (Python:
// loop.set_default_executor). A pool the loop had made itself is shut down
// once its work is done; a pool given here is its owner's to shut down.
func (l *Loop) SetDefaultExecutor(p *thread.Pool) {
	l.exec.mu.Lock()
	old, owned := l.exec.pool, l.exec.owned
	l.exec.pool, l.exec.owned = p, false
	l.exec.mu.Unlock()
	if owned && old != nil && old != p {
		old.Shutdown(false, false)
	}
}

// DefaultExecutor returns the loop's default executor, making it on first
// use: a thread.Pool of min(32, GOMAXPROCS+4) workers named "aio_N", the
// size Python picks for the same job — its work is mostly blocking calls
// handed off the loop, not CPU-bound computation.
func (l *Loop) DefaultExecutor() (*thread.Pool, error) {
	l.exec.mu.Lock()
	defer l.exec.mu.Unlock()
	if l.exec.pool == nil {
		if l.IsClosed() {
			return nil, errLoopClosed
		}
		p, err := thread.NewPool(min(32, runtime.GOMAXPROCS(0)+4), thread.WithNamePrefix("aio"))
		if err != nil {
			return nil, err
		}
		l.exec.pool, l.exec.owned = p, true
	}
	return l.exec.pool, nil
}

// shutdownExecutor waits, within the loop's bound, for the default executor
// the loop made (Python: shutdown_default_executor).
func (l *Loop) shutdownExecutor() {
	l.exec.mu.Lock()
	p, owned, d := l.exec.pool, l.exec.owned, l.exec.timeout
	if !l.exec.set {
		d = DefaultExecutorShutdownTimeout
	}
	l.exec.mu.Unlock()
	if p == nil || !owned {
		return
	}
	if d <= 0 {
		// Not Close with a context already past its deadline: that would
		// report work just finished whose worker has not yet left the pool.
		p.Shutdown(false, true)
		return
	}
	ctx := context.Background()
	if d != duet.NoTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if err := p.Close(ctx); err != nil {
		l.CallExceptionHandler(ExceptionContext{
			Message: fmt.Sprintf("The default executor did not finish its work within %v; the work goes on, abandoned", d),
			Err:     err,
		})
	}
}

// ExecOption configures RunInExecutor and ToThread.
type ExecOption func(*execOpts)

type execOpts struct{ abandon bool }

// AbandonOnCancel lets a task that awaits the work return at once when it
// is cancelled: the work's context is cancelled, the work finishes on its
// own, and its result is dropped (Trio: to_thread.run_sync(abandon_on_cancel=True);
// also what Python's run_in_executor does). Without it the task waits for
// the work to end — after its context is cancelled, so cooperative work ends
// early — and then gets the cancellation.
func AbandonOnCancel() ExecOption { return func(o *execOpts) { o.abandon = true } }

// RunInExecutor runs fn on pool p (the default executor of ctx's loop when
// p is nil) and returns the future of its outcome, to await from a task
// without blocking the loop (Python: loop.run_in_executor).
//
// fn gets a context with ctx's values, cancelled when the future is
// cancelled or a task awaiting it is — and, when ctx is a goroutine's, when
// ctx is (a task's own context does not bound the work: the work may outlive
// the task that started it, as in Python). It carries no task identity: fn
// runs on a pool worker, in the threading world.
// Cancelling the future before fn starts means fn never runs. While the
// work is outstanding, a loop with a virtual clock does not jump its clock.
func RunInExecutor[T any](ctx context.Context, p *thread.Pool, fn func(ctx context.Context) (T, error), opts ...ExecOption) *duet.Future[T] {
	b := &bridge[T]{}
	for _, opt := range opts {
		opt(&b.opts)
	}
	l := LoopOf(ctx)
	out := &b.out
	if ctx == nil {
		out.SetError(nilCtx("RunInExecutor"))
		return out
	}
	if p == nil {
		if l == nil {
			out.SetError(ErrNoLoop)
			return out
		}
		var err error
		if p, err = l.DefaultExecutor(); err != nil {
			out.SetError(err)
			return out
		}
	}
	// Work handed off by a task outlives the task's own context, which aio
	// cancels when the task returns (Python's run_in_executor runs it
	// regardless); an awaiting task that is cancelled cancels it through
	// the future. A goroutine's context keeps its Go meaning.
	var wctx context.Context
	if ctx.Value(park.TaskKey) != nil {
		b.wctx.parent = ctx
		wctx = &b.wctx
	} else {
		wctx, b.stop = context.WithCancel(ctx)
	}
	futhook.Bind(out, b)
	if l != nil {
		b.loop = l
		l.holdClock()
	}
	b.work = thread.Submit(wctx, p, fn)
	b.work.AddDoneCallback(context.Background(), b.done)
	return out
}

// done completes the bridge's future with the work's outcome.
func (b *bridge[T]) done(w *duet.Future[T]) {
	b.out.Complete(w.Result())
	b.cancelWork()
	if b.loop != nil {
		b.loop.releaseClock()
	}
}

// workCtx is the context of work a task hands off: the task's values,
// none of its cancellation (the task's context ends when the task
// returns), cancelled by the bridge. It lives in the bridge's allocation.
type workCtx struct {
	parent context.Context
	mu     sync.Mutex
	ch     chan struct{}
	err    error
}

func (c *workCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *workCtx) Value(k any) any             { return c.parent.Value(k) }

func (c *workCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
		if c.err != nil {
			close(c.ch)
		}
	}
	return c.ch
}

func (c *workCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *workCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = context.Canceled
		if c.ch != nil {
			close(c.ch)
		}
	}
}

// ToThread runs fn on the default executor of ctx's loop and waits for its
// outcome; from a task, the loop runs other tasks meanwhile (Python:
// asyncio.to_thread). See RunInExecutor for fn's context and cancellation.
func ToThread[T any](ctx context.Context, fn func(ctx context.Context) (T, error), opts ...ExecOption) (T, error) {
	if ctx == nil {
		var zero T
		return zero, nilCtx("ToThread")
	}
	return duet.Await(ctx, RunInExecutor(ctx, nil, fn, opts...))
}

// bridge produces a RunInExecutor future from a pool future; the future,
// the work's context and the bridge are one allocation.
type bridge[T any] struct {
	out  duet.Future[T]
	work *duet.Future[T]
	wctx workCtx
	stop context.CancelFunc // a goroutine caller's work context; nil: wctx
	loop *Loop
	opts execOpts
}

// Cancel cancels the work's context and the work if it has not started; a
// started work is abandoned only with AbandonOnCancel.
func (b *bridge[T]) Cancel(msg string) bool {
	b.cancelWork()
	if b.work.Cancel(msg) {
		return true
	}
	if b.opts.abandon {
		return b.out.SetError(&duet.CancelledError{Msg: msg}) == nil
	}
	return false
}

// cancelWork cancels the work's context.
func (b *bridge[T]) cancelWork() {
	if b.stop != nil {
		b.stop()
	} else {
		b.wctx.cancel()
	}
}

// OnFailure: the awaiting side retrieves failures; a bridge that nobody
// awaits reports nothing beyond what its caller dropped.
func (b *bridge[T]) OnFailure(*futhook.Failure) {}
