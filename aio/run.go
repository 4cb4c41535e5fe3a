package aio

import (
	"context"
	"errors"
	"fmt"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// Run runs main as a task of a new event loop and returns main's error
// (Python: asyncio.run). The loop runs on the calling goroutine. When main
// returns, the tasks still running are cancelled and awaited, errors that
// nobody retrieved are reported, and the loop is closed. Cancelling ctx
// cancels main. A panic in main comes back as a *duet.PanicError.
//
// SIGINT (Ctrl-C) cancels main, as asyncio.Runner does: if main then ends
// with that cancellation, Run returns it wrapped in ErrInterrupted; a second
// SIGINT ends the program at once, as an unhandled Ctrl-C does, even while a
// blocking step holds the loop. Every Run running at the time hears a
// SIGINT. Run leaves SIGINT alone under WithoutInterruptHandler, and when
// SIGINT is ignored (a background job); a SIGINT handler main adds with
// AddSignalHandler replaces this one. Run's handling ends with Run.
//
// Run fails with ErrNestedRun when called from a task or a callback of a
// running loop, whatever ctx it is given.
func Run(ctx context.Context, main func(ctx context.Context) error, opts ...Option) error {
	if ctx == nil {
		return nilCtx("Run")
	}
	if park.Current(ctx) != nil || insideLoop() {
		return ErrNestedRun
	}
	if main == nil {
		return fmt.Errorf("aio: Run with a nil main function")
	}
	l := New(opts...)
	defer l.Close()
	mt := Spawn(WithLoop(ctx, l), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, WithName("main"))
	stop := context.AfterFunc(ctx, func() { mt.Cancel("aio.Run: context done") })
	sigint := l.handleInterrupts(mt)
	_, err := RunUntilComplete(l, mt)
	stop()
	if sigint.interrupted() && errors.Is(err, duet.ErrCancelled) {
		err = fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	if err2 := l.shutdown(); err == nil {
		err = err2
	}
	l.shutdownExecutor()
	return err
}

// RunUntilComplete runs the loop until a completes and returns its outcome
// (Python: loop.run_until_complete). The loop must not be running
// (ErrLoopRunning), nor the caller be a task or a callback of a running
// loop (ErrNestedRun).
func RunUntilComplete[T any](l *Loop, a duet.Awaitable[T]) (T, error) {
	var zero T
	if a == nil || a.Future() == nil {
		return zero, duet.ErrNilAwaitable
	}
	f := a.Future()
	if err := l.enter(); err != nil {
		return zero, err
	}
	defer l.leave()
	stopped := false
	f.AddDoneCallback(l.Context(), func(*duet.Future[T]) { stopped = true })
	for !stopped {
		l.runOnce()
	}
	return f.Result()
}

// shutdown cancels the tasks still running when main returned and runs the
// loop until they have finished (Python: asyncio.run's _cancel_all_tasks).
// Tasks those start meanwhile are left to Close, which destroys them, so a
// task that keeps spawning cannot hold shutdown forever.
func (l *Loop) shutdown() error {
	if err := l.enter(); err != nil {
		return err
	}
	defer l.leave()
	l.mu.Lock()
	l.flushEndedLocked()
	ts := l.live.All()
	l.mu.Unlock()
	for _, t := range ts {
		(*taskOwner)(t).Cancel("")
	}
	for _, t := range ts {
		for !t.isDone() {
			l.runOnce()
		}
	}
	return nil
}

// Go starts fn as a task of the loop; it serves the root package's Group
// (park.Loop, which documents skipped).
func (p *loopPort) Go(ctx context.Context, name string, fn func(ctx context.Context), skipped func(err error)) func(msg string) bool {
	l := (*Loop)(p)
	if loopFrom(ctx) != l {
		ctx = WithLoop(ctx, l)
	}
	var opts []TaskOption
	if name != "" {
		opts = append(opts, WithName(name))
	}
	returned := false // written by the task, read once it has ended
	t := Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		fn(ctx)
		returned = true
		return struct{}{}, nil
	}, opts...)
	t.fut.AddDoneCallback(context.Background(), func(f *duet.Future[struct{}]) {
		if !returned {
			_, err := f.Result()
			skipped(err)
		}
	})
	return t.Cancel
}

// LoopOf returns the loop that ctx belongs to, or nil (Python:
// asyncio.get_running_loop, which duet reaches through the context).
func LoopOf(ctx context.Context) *Loop {
	return loopFrom(ctx)
}
