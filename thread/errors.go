package thread

import (
	"errors"
	"fmt"

	"github.com/duet-go/duet"
)

// ErrBrokenPool matches (with errors.Is) the error of every future a broken
// pool fails: a worker's initializer failed (or panicked), so the tasks
// still queued and every later Submit fail with it; the initializer's error
// is wrapped too. Python: concurrent.futures.thread.BrokenThreadPool.
var ErrBrokenPool = errors.New("thread: broken pool: a worker initializer failed")

// nilCtx is call's refusal of a nil context (see duet.ErrNilContext).
func nilCtx(call string) error { return fmt.Errorf("thread.%s: %w", call, duet.ErrNilContext) }

// ErrPoolFull matches the error of a future whose Submit found the queue
// full on a pool made WithRejectWhenFull. Python has no counterpart (its
// executor queue is unbounded); compare queue.Full.
var ErrPoolFull = errors.New("thread: pool queue is full")

// brokenPoolError is the error of a broken pool's futures: it matches
// ErrBrokenPool and unwraps to the initializer's error alone, so that
// errors.Is and errors.As reach the cause while the error stays one
// failure. fmt.Errorf("%w: %w") would unwrap to two errors, the shape of a
// group of failures (Unwrap() []error), which this is not.
type brokenPoolError struct{ cause error }

func (e *brokenPoolError) Error() string { return ErrBrokenPool.Error() + ": " + e.cause.Error() }

// Is reports whether target is ErrBrokenPool.
func (e *brokenPoolError) Is(target error) bool { return target == ErrBrokenPool }

// Unwrap returns the initializer's error (or its *duet.PanicError).
func (e *brokenPoolError) Unwrap() error { return e.cause }
