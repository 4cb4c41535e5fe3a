package thread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet/internal/park"
)

// ident is a thread identity: a Thread, a pool worker, or a goroutine given
// one with WithIdentity. Go has no goroutine identity, so duet carries this
// one in the context a thread's function receives; RLock owners and Local
// slots hang off it.
type ident struct {
	id   uint64
	name string
	pool *Pool // the pool of a worker, else nil

	mu     sync.Mutex
	locals map[any]any // Local slots, keyed by *Local
}

// idSeq numbers every identity (threads, workers, adopted goroutines), so an
// ID is never reused within a process (unlike Python's ident).
var idSeq atomic.Uint64

func newIdent(name string) *ident {
	id := &ident{id: idSeq.Add(1)}
	id.name = name
	return id
}

type identKey struct{}

// identCtx is the context a thread's function receives: the caller's values
// and cancellation, plus the thread's identity. It hides the loop task and
// loop that a parent context may carry: code on a thread is not on the
// loop, so duet's waiting code must block the goroutine rather than try to
// suspend a task from a foreign goroutine, and AddDoneCallback must run
// callbacks in the completing goroutine (concurrent.futures semantics).
type identCtx struct {
	context.Context
	id *ident
}

// Value answers the identity key, hides the loop task and loop, and asks
// the parent for the rest.
func (c *identCtx) Value(k any) any {
	switch k {
	case identKey{}:
		return c.id
	case park.TaskKey, park.LoopKey:
		return nil
	}
	return c.Context.Value(k)
}

func (c *identCtx) String() string { return "thread.identCtx(" + c.id.name + ")" }

// identOf returns the thread identity ctx carries, or nil.
func identOf(ctx context.Context) *ident {
	if ctx == nil {
		return nil
	}
	id, _ := ctx.Value(identKey{}).(*ident)
	return id
}

// ownerOf returns the identity that owns what ctx does: the nearest loop
// task or thread identity ctx was derived from. A task's context answers
// park.TaskKey itself; a thread's context hides any task above it. So when
// TaskKey yields a task, no thread identity lies between ctx and that task,
// and the task is the nearest owner.
func ownerOf(ctx context.Context) any {
	if ctx == nil {
		return nil
	}
	if t, _ := ctx.Value(park.TaskKey).(park.Task); t != nil {
		return t
	}
	if id := identOf(ctx); id != nil {
		return id
	}
	return nil
}

// ErrNoIdentity is returned by RLock and Local when the context carries no
// thread identity: it belongs to no Thread, pool task or loop task, and was
// not given one with WithIdentity. Go has no goroutine identity; in duet a
// thread is known by its context.
var ErrNoIdentity = errors.New("thread: the context carries no thread identity (pass the ctx of a thread.Thread, a pool task or a loop task, or give this goroutine one with thread.WithIdentity)")

func noIdentity(op string) error {
	return fmt.Errorf("thread: %s: %w", op, ErrNoIdentity)
}

// WithIdentity returns a context that gives the goroutine using it a thread
// identity of its own, named name: RLock owners and Local slots then work on
// that goroutine as on a Thread. Contexts derived from the result share the
// identity. Use it once per goroutine (typically main, or a goroutine that
// was not started with Start); two goroutines sharing the returned context
// share the identity, like code running on one Python thread.
//
// Adopted goroutines are not listed by Enumerate: duet cannot tell when they
// end. The returned context hides any loop task ctx may belong to, as a
// Thread's context does.
//
// A nil ctx gives nil, which the call that uses it refuses (see
// duet.ErrNilContext).
//
// Python: the _DummyThread that threading.current_thread() creates for a
// thread threading did not start.
func WithIdentity(ctx context.Context, name string) context.Context {
	if ctx == nil {
		return nil // a nil ctx stays nil: the call that uses it refuses it
	}
	id := newIdent(name)
	if name == "" {
		id.name = "Dummy-" + strconv.FormatUint(id.id, 10)
	}
	return &identCtx{Context: ctx, id: id}
}

// Info describes a thread or pool worker.
type Info struct {
	// ID is unique within the process and never reused
	// (Python: Thread.ident, which may be recycled).
	ID uint64
	// Name is the thread's name; not necessarily unique.
	Name string
}

func (id *ident) info() Info { return Info{ID: id.id, Name: id.name} }

// Current returns the thread identity that ctx carries: the Thread, pool
// worker or adopted goroutine (WithIdentity) it was derived from. It reports
// false for a loop task's context (see aio.CurrentTask) and for a context
// with no identity. Python: threading.current_thread().
func Current(ctx context.Context) (Info, bool) {
	if _, task := ownerOf(ctx).(park.Task); task {
		return Info{}, false
	}
	if id := identOf(ctx); id != nil {
		return id.info(), true
	}
	return Info{}, false
}

// registry lists the live threads and pool workers for Enumerate.
var registry struct {
	mu sync.Mutex
	m  map[uint64]*ident
}

func register(id *ident) {
	registry.mu.Lock()
	if registry.m == nil {
		registry.m = map[uint64]*ident{}
	}
	registry.m[id.id] = id
	registry.mu.Unlock()
}

func unregister(id *ident) {
	registry.mu.Lock()
	delete(registry.m, id.id)
	registry.mu.Unlock()
}

// Enumerate returns the live duet threads, Timers included, and pool
// workers, ordered by ID. A Thread is live from Start until its function
// returns; a worker from its creation until it exits. The list is a
// snapshot. Python: threading.enumerate().
func Enumerate() []Info {
	registry.mu.Lock()
	out := make([]Info, 0, len(registry.m))
	for _, id := range registry.m {
		out = append(out, id.info())
	}
	registry.mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// ActiveCount returns the number of live duet threads and pool workers,
// len(Enumerate()) without building the list. Python:
// threading.active_count().
func ActiveCount() int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return len(registry.m)
}
