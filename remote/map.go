package remote

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/duet-go/duet"
)

// Map submits t for each value of in to c's workers and yields the results
// in input order, as a Go iterator:
//
//	for img, err := range remote.Map(ctx, c, Resize, inputs, 64) {
//		if err != nil {
//			return err // break cancels the tasks still in flight
//		}
//		use(img)
//	}
//
// It keeps at most inFlight tasks submitted and unread (inFlight >= 1),
// reading the next input only when a result leaves, so memory stays
// bounded whatever the input's length; the client's own WithMaxInFlight
// bounds it too. Each element's error is yielded in its place and
// iteration goes on. opts apply to every task.
//
// Leaving the loop early (break, return, panic) cancels what is in flight:
// queued tasks never start, running ones see their context cancelled. When
// ctx ends (or the consuming loop task is cancelled) while Map waits, it
// yields one last (zero, err) matching duet.ErrCancelled (duet.ErrTimeout
// for a deadline) and cancels the rest. Waiting suspends a loop task and
// blocks a goroutine. Bad arguments yield a single error. Each range starts
// afresh. Python: concurrent.futures' Executor.map(fn, it, buffersize=n),
// Dask's client.map (which submits everything at once).
func Map[A, R any](ctx context.Context, c *Client, t Task[A, R], in iter.Seq[A], inFlight int, opts ...SubmitOption) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		switch {
		case ctx == nil:
			yield(zero, fmt.Errorf("remote.Map: %w", duet.ErrNilContext))
			return
		case c == nil:
			yield(zero, errors.New("remote: Map on a nil *Client (make one with NewClient)"))
			return
		case in == nil:
			yield(zero, errors.New("remote: Map with a nil input sequence"))
			return
		case inFlight < 1:
			yield(zero, fmt.Errorf("remote: Map with inFlight %d: at least one task must be in flight", inFlight))
			return
		}
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ring := make([]*duet.Future[R], inFlight)
		head, n := 0, 0
		// next yields the oldest result; false means stop.
		next := func() bool {
			f := ring[head]
			ring[head] = nil
			head = (head + 1) % inFlight
			n--
			v, err := duet.Await(ctx, f)
			if err != nil && ctx.Err() != nil {
				yield(zero, fmt.Errorf("remote: Map stopped waiting for a result: %w", err))
				return false
			}
			return yield(v, err)
		}
		completed := false
		defer func() {
			if !completed { // break, return or panic in the consumer or in `in`
				cancel()
				for ; n > 0; n-- {
					ring[head].Cancel("remote: Map: the consumer stopped")
					ring[head] = nil
					head = (head + 1) % inFlight
				}
			}
		}()
		for v := range in {
			ring[(head+n)%inFlight] = Submit(mctx, c, t, v, opts...)
			n++
			if n == inFlight && !next() {
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
