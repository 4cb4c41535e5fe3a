package aio

import (
	"context"
	"sync"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// taskCtx is a task's context: the spawning context's values, the task's
// own cancellation, and the task and loop for duet's waiting code. It is
// the task itself, seen as a context, so spawning allocates no context;
// the state a Done channel or a watcher needs is allocated when first
// asked for.
type taskCtx task

// context returns c's context.
func (c *task) context() *taskCtx { return (*taskCtx)(c) }

func (c *taskCtx) task() *task { return (*task)(c) }

// ctxState is the cancellation state of a task's context, made on first use.
type ctxState struct {
	mu     sync.Mutex
	done   chan struct{}
	err    error
	afters []*afterFunc
}

type afterFunc struct {
	fn   func()
	once sync.Once
}

// state returns the context's cancellation state, making it if needed. A
// task that has already returned is cancelled.
func (c *taskCtx) state() *ctxState {
	if st := c.ctxSt.Load(); st != nil {
		return st
	}
	st := &ctxState{}
	if !c.ctxSt.CompareAndSwap(nil, st) {
		return c.ctxSt.Load()
	}
	if c.task().isDone() {
		c.cancel(nil)
	}
	return st
}

func (c *taskCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *taskCtx) Done() <-chan struct{} {
	st := c.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done == nil {
		st.done = make(chan struct{})
		if st.err != nil {
			close(st.done)
		}
	}
	return st.done
}

func (c *taskCtx) Err() error {
	st := c.ctxSt.Load()
	if st == nil {
		if c.task().isDone() {
			return context.Canceled
		}
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err == nil && c.task().isDone() {
		return context.Canceled
	}
	return st.err
}

// finish cancels the context of a task that has returned, as a function's
// context is cancelled once it returns; it costs nothing when nobody
// watches the context. (A watcher arriving later sees the task done.)
func (c *taskCtx) finish() {
	if c.ctxSt.Load() != nil {
		c.cancel(nil)
	}
}

func (c *taskCtx) Value(k any) any {
	if kk, ok := k.(*park.Key); ok {
		switch kk {
		case park.TaskKey:
			return c.task()
		case park.LoopKey:
			return (*loopPort)(c.task().loop)
		}
	}
	return c.parentCtx.Value(k)
}

func (c *taskCtx) String() string { return "aio.taskCtx(" + c.task().Name() + ")" }

// cancel cancels the context. Go contexts carry no cause of their own
// type, so the cancellation's message travels in the task's errors instead.
func (c *taskCtx) cancel(error) {
	st := c.state()
	st.mu.Lock()
	if st.err != nil {
		st.mu.Unlock()
		return
	}
	st.err = context.Canceled
	if st.done != nil {
		close(st.done)
	}
	afters := st.afters
	st.afters = nil
	st.mu.Unlock()
	for _, a := range afters {
		a.once.Do(func() { go a.fn() })
	}
}

// AfterFunc lets context.AfterFunc and context.WithCancel watch the task's
// context without a goroutine per watcher.
func (c *taskCtx) AfterFunc(fn func()) func() bool {
	a := &afterFunc{fn: fn}
	st := c.state()
	st.mu.Lock()
	if st.err != nil {
		st.mu.Unlock()
		a.once.Do(func() { go fn() })
		return func() bool { return false }
	}
	st.afters = append(st.afters, a)
	st.mu.Unlock()
	return func() bool {
		stopped := false
		a.once.Do(func() { stopped = true })
		if stopped {
			st.mu.Lock()
			for i, x := range st.afters {
				if x == a {
					st.afters = append(st.afters[:i], st.afters[i+1:]...)
					break
				}
			}
			st.mu.Unlock()
		}
		return stopped
	}
}

// owns reports whether ctx's cancellation reaches the task only through
// task cancellation: its own context, or a duet scope within it.
func (c *taskCtx) owns(ctx context.Context) bool {
	if ctx == context.Context(c) {
		return true
	}
	if s, ok := ctx.(park.Scope); ok {
		return s.ScopeOf() == park.Task(c.task())
	}
	return false
}
