package duet

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet/internal/park"
)

// Event is a flag that tasks and goroutines can wait for: the one event of
// asyncio.Event and threading.Event. It starts clear.
//
// Set wakes every task and goroutine waiting at that moment; they return nil
// even if Clear runs before they resume (as in asyncio). Wait returns at once
// while the flag is set.
//
// The zero Event is clear and ready to use. An Event must not be copied
// after first use.
type Event struct {
	flag    atomic.Bool
	mu      sync.Mutex
	waiters park.List // guarded by mu
}

// Set sets the flag and wakes every current waiter. Setting a set Event does
// nothing. It never waits and may be called from anywhere.
// Python: Event.set().
func (e *Event) Set() {
	if e.flag.Load() {
		return
	}
	e.mu.Lock()
	if e.flag.Load() {
		e.mu.Unlock()
		return
	}
	e.flag.Store(true)
	ws := e.waiters.Detach()
	e.mu.Unlock()
	park.WakeChain(ws)
}

// Clear clears the flag: later Waits wait for the next Set. Waiters already
// woken by a Set still return nil. Python: Event.clear().
func (e *Event) Clear() {
	e.mu.Lock()
	e.flag.Store(false)
	e.mu.Unlock()
}

// IsSet reports whether the flag is set. Python: Event.is_set().
func (e *Event) IsSet() bool { return e.flag.Load() }

// Wait waits until the flag is set and returns nil; it returns at once, even
// with a done ctx, if the flag is set already.
//
// On a loop task it suspends the task; on a goroutine it blocks. It returns
// an error matching ErrCancelled (ErrTimeout for a deadline) when the waiting
// task is cancelled or ctx ends first. A task cancelled after Set woke it but
// before it ran returns the cancellation, as in asyncio; a goroutine whose ctx
// ends just as Set wakes it may return either.
//
// Python: await asyncio.Event.wait(), threading.Event.wait(timeout=).
func (e *Event) Wait(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Event.Wait")
	}
	if e.flag.Load() {
		return nil
	}
	e.mu.Lock()
	if e.flag.Load() {
		e.mu.Unlock()
		return nil
	}
	w := park.NewWaiter(ctx).Labeled(labelEvent, e)
	e.waiters.PushBack(w)
	e.mu.Unlock()
	woken, err := park.Wait(ctx, w, e.dropWaiter)
	if err != nil && !woken {
		e.dropWaiter(w)
	}
	return err
}

func (e *Event) dropWaiter(w *park.Waiter) {
	e.mu.Lock()
	e.waiters.Remove(w)
	e.mu.Unlock()
}

var labelEvent = park.NewLabel("Event.Wait")
