package aio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// taskCtx is a task's context: the spawning context's values, the task's
// own cancellation, and the task and loop for duet's waiting code. It lives
// inside the Task allocation, so spawning allocates no context.
type taskCtx struct {
	parent context.Context
	t      *task

	watched atomic.Bool // Done or AfterFunc was called: finishing must close
	mu      sync.Mutex
	done    chan struct{}
	err     error
	afters  []*afterFunc
}

type afterFunc struct {
	fn   func()
	once sync.Once
}

func (c *taskCtx) init(parent context.Context, t *task) {
	c.parent = parent
	c.t = t
}

func (c *taskCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func (c *taskCtx) Done() <-chan struct{} {
	c.watched.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err == nil && c.t.done.Load() {
			c.err = context.Canceled
		}
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

func (c *taskCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && c.t.done.Load() {
		return context.Canceled
	}
	return c.err
}

// finish cancels the context of a task that has returned, as a function's
// context is cancelled once it returns; it costs nothing when nobody
// watches the context.
func (c *taskCtx) finish() {
	if c.watched.Load() {
		c.cancel(nil)
	}
}

func (c *taskCtx) Value(k any) any {
	switch k {
	case park.TaskKey:
		return c.t
	case park.LoopKey:
		return c.t.loop
	}
	return c.parent.Value(k)
}

func (c *taskCtx) String() string { return "aio.taskCtx(" + c.t.Name() + ")" }

// cancel cancels the context. Go contexts carry no cause of their own
// type, so the cancellation's message travels in the task's errors instead.
func (c *taskCtx) cancel(error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = context.Canceled
	if c.done != nil {
		close(c.done)
	}
	afters := c.afters
	c.afters = nil
	c.mu.Unlock()
	for _, a := range afters {
		a.once.Do(func() { go a.fn() })
	}
}

// AfterFunc lets context.AfterFunc and context.WithCancel watch the task's
// context without a goroutine per watcher.
func (c *taskCtx) AfterFunc(fn func()) func() bool {
	a := &afterFunc{fn: fn}
	c.watched.Store(true)
	c.mu.Lock()
	if c.err == nil && c.t.done.Load() {
		c.err = context.Canceled
	}
	if c.err != nil {
		c.mu.Unlock()
		a.once.Do(func() { go fn() })
		return func() bool { return false }
	}
	c.afters = append(c.afters, a)
	c.mu.Unlock()
	return func() bool {
		stopped := false
		a.once.Do(func() { stopped = true })
		if stopped {
			c.mu.Lock()
			for i, x := range c.afters {
				if x == a {
					c.afters = append(c.afters[:i], c.afters[i+1:]...)
					break
				}
			}
			c.mu.Unlock()
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
	if s, ok := ctx.(interface{ ScopeOf() any }); ok {
		return s.ScopeOf() == any(c.t)
	}
	return false
}
