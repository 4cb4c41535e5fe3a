package thread

import (
	"context"
	"errors"
	"fmt"

	"github.com/duet-go/duet/internal/park"
)

// Local holds one value of type T per thread: each Thread, pool worker and
// WithIdentity goroutine sees its own slot. Python: threading.local (one
// attribute; use a struct type for several).
//
// Design. A Python thread finds its locals through the OS thread; Go has no
// goroutine identity, so a duet thread finds them through its context: the
// thread's identity (see Current) carries a small map from Local to value,
// and Get and Set look it up from ctx. A slot lives as long as the thread's
// identity, so a thread's values are dropped with it. Pool workers keep
// their slots across tasks, which gives Python's classic pattern: a
// WithInitializer function sets a per-worker resource, and tasks Get it.
//
// Loop tasks have no slots: in asyncio a threading.local is shared by every
// task of the loop's thread, a trap rather than a feature; per-task values
// are context values in Go (Python: contextvars). Set on a task's context
// returns an error saying so, and Get reports false.
//
// A Local must be made with NewLocal. Safe for concurrent use.
type Local[T any] struct {
	_ byte // distinct addresses: the Local's pointer is its key in each slot map
}

// NewLocal returns a Local whose slots are all unset.
func NewLocal[T any]() *Local[T] { return &Local[T]{} }

var errLocalTask = errors.New("thread: Local: a loop task has no thread-local slot (asyncio tasks of a loop share one thread; use context values, Go's contextvars, for per-task state)")

func localIdent(op string, ctx context.Context) (*ident, error) {
	switch o := ownerOf(ctx).(type) {
	case *ident:
		return o, nil
	case park.Task:
		return nil, fmt.Errorf("%w (in Local.%s)", errLocalTask, op)
	}
	return nil, noIdentity("Local." + op)
}

// Get returns the value the thread found in ctx set, and true; or the zero
// T and false when it set none, or ctx has no thread identity (a loop task's
// or a plain context). Python: reading an attribute of a threading.local
// (AttributeError when unset).
func (l *Local[T]) Get(ctx context.Context) (T, bool) {
	var zero T
	id, err := localIdent("Get", ctx)
	if err != nil {
		return zero, false
	}
	id.mu.Lock()
	v, ok := id.locals[l]
	id.mu.Unlock()
	if !ok {
		return zero, false
	}
	return v.(T), true
}

// Set stores v in the slot of the thread found in ctx. It returns an error
// matching ErrNoIdentity when ctx carries no thread identity, and an error
// for a loop task's context (see Local). Python: assigning an attribute of
// a threading.local.
func (l *Local[T]) Set(ctx context.Context, v T) error {
	if ctx == nil {
		return nilCtx("Local.Set")
	}
	id, err := localIdent("Set", ctx)
	if err != nil {
		return err
	}
	id.mu.Lock()
	if id.locals == nil {
		id.locals = map[any]any{}
	}
	id.locals[l] = v
	id.mu.Unlock()
	return nil
}

// Delete clears the slot of the thread found in ctx (Python: del
// local.attr). Deleting an unset slot does nothing. Errors as for Set.
func (l *Local[T]) Delete(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Local.Delete")
	}
	id, err := localIdent("Delete", ctx)
	if err != nil {
		return err
	}
	id.mu.Lock()
	delete(id.locals, l)
	id.mu.Unlock()
	return nil
}
