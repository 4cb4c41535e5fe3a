package thread

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/duet-go/duet"
)

// MapOption configures Map.
type MapOption func(*mapConfig)

type mapConfig struct {
	inFlight int
	err      error
}

// WithInFlight bounds the number of submitted tasks whose results Map has
// not yet yielded to n (n >= 1; default twice the pool's size, enough to
// keep every worker busy while the consumer reads). Map reads the next
// input only when a result leaves, so memory stays bounded whatever the
// input's length. Python: Executor.map(buffersize=n) (3.14).
func WithInFlight(n int) MapOption {
	return func(c *mapConfig) {
		if n < 1 {
			c.err = fmt.Errorf("thread: WithInFlight(%d): at least one task must be in flight", n)
		}
		c.inFlight = n
	}
}

// Map runs fn on p for each value of in and yields the results in input
// order, as a Go iterator:
//
//	for r, err := range thread.Map(ctx, pool, inputs, fn) {
//		if err != nil {
//			return err // break cancels the tasks still in flight
//		}
//		use(r)
//	}
//
// Map consumes in lazily: it keeps at most WithInFlight tasks submitted and
// unread (Python's Executor.map reads its whole input at once, a memory
// trap on large or endless inputs that 3.14's buffersize fixes). Each
// element's error is yielded in its place, and iteration goes on; Python
// raises at the first failure instead, which is what breaking out of the
// loop on an error does.
//
// Leaving the loop early (break, return, panic) cancels what is in flight:
// queued tasks never run, and running ones see their context cancelled.
// Map does not wait for running tasks to return. When ctx ends, or the
// consuming task is cancelled, while Map waits for a result, it yields one
// last (zero, err) with err matching duet.ErrCancelled (duet.ErrTimeout for
// a deadline) and cancels the rest likewise. Python's timeout= is a ctx
// deadline here.
//
// Waiting for a result suspends a loop task and blocks a goroutine; so
// does a Submit that finds the pool's queue full. A nil p, in or fn, or a
// bad option, yields a single error. Each range over the result starts
// afresh, ranging over in again.
func Map[T, R any](ctx context.Context, p *Pool, in iter.Seq[T], fn func(ctx context.Context, v T) (R, error), opts ...MapOption) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		var cfg mapConfig
		for _, o := range opts {
			if o == nil {
				cfg.err = errors.New("thread: Map: nil MapOption")
				continue
			}
			o(&cfg)
		}
		switch {
		case cfg.err != nil:
			yield(zero, cfg.err)
			return
		case ctx == nil:
			yield(zero, nilCtx("Map"))
			return
		case p == nil:
			yield(zero, errors.New("thread: Map on a nil *Pool (make one with NewPool)"))
			return
		case in == nil:
			yield(zero, errors.New("thread: Map with a nil input sequence"))
			return
		case fn == nil:
			yield(zero, errors.New("thread: Map with a nil function"))
			return
		}
		bound := cfg.inFlight
		if bound == 0 {
			bound = 2 * p.Size()
		}
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()

		ring := make([]*duet.Future[R], bound)
		head, n := 0, 0
		stop := func() {
			cancel()
			for ; n > 0; n-- {
				ring[head].Cancel("thread: Map: the consumer stopped")
				ring[head] = nil
				head = (head + 1) % bound
			}
		}
		// next yields the oldest result; false means stop.
		next := func() bool {
			f := ring[head]
			ring[head] = nil
			head = (head + 1) % bound
			n--
			if err := waitDone(ctx, f); err != nil {
				yield(zero, fmt.Errorf("thread: Map stopped waiting for a result: %w", err))
				return false
			}
			v, err := f.Result()
			return yield(v, err)
		}
		completed := false
		defer func() {
			if !completed {
				stop() // break, return or panic in the consumer or in `in`
			}
		}()
		for v := range in {
			ring[(head+n)%bound] = Submit(mctx, p, func(ctx context.Context) (R, error) { return fn(ctx, v) })
			n++
			if n == bound && !next() {
				return
			}
		}
		for n > 0 {
			if !next() {
				return
			}
		}
		completed = true
	}
}
