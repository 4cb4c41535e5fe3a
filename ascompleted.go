package duet

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// AsCompleted returns an iterator over aws in the order they complete
// (Python 3.13: "async for t in asyncio.as_completed(aws)", which yields the
// original tasks and futures; concurrent.futures.as_completed). Each step
// yields an awaitable that is done, so Await on it or its Future's Result
// returns at once:
//
//	for a, err := range duet.AsCompleted(ctx, t1, t2, t3) {
//		if err != nil {
//			return err // the caller was cancelled or timed out
//		}
//		v, err := duet.Await(ctx, a)
//		...
//	}
//
// Awaitables already done when the iteration starts come first, in argument
// order; the rest follow as they complete. An awaitable given twice is
// yielded once. The iteration waits for the next completion like Await: on a
// loop task it suspends the task, on a goroutine it blocks. On a loop task
// the first step always yields to the loop, even for awaitables already done,
// as asyncio.as_completed does (it learns of completions through done
// callbacks, which the loop runs).
//
// AsCompleted waits without limit; AsCompletedTimeout takes Python's
// timeout=. A deadline may also come from ctx: range inside WithTimeout on
// a loop task (the deadline then cancels the waiting task), or pass a
// context with a deadline on a goroutine. When the caller is cancelled or
// its deadline passes before all have completed, the iteration yields
// (nil, err) once and stops; err wraps the cancellation (matching
// ErrCancelled, or ErrTimeout for a context deadline) and says how many
// awaitables were unfinished, like Python's TimeoutError "N (of M) futures
// unfinished". The unfinished awaitables are not cancelled.
//
// A nil awaitable yields (nil, err matching ErrNilAwaitable) before anything
// else and ends the iteration. Breaking out of the loop, or the iteration
// ending, leaves nothing registered on the awaitables. Each range over the
// returned iterator starts afresh.
func AsCompleted[T any](ctx context.Context, aws ...Awaitable[T]) iter.Seq2[Awaitable[T], error] {
	return AsCompletedTimeout(ctx, NoTimeout, aws...)
}

// AsCompletedTimeout is AsCompleted with a timeout (Python:
// as_completed(aws, timeout=t), asyncio's and concurrent.futures'). The
// timeout runs from the start of each range over the iterator. When it
// expires, the awaitables that completed before it are still yielded, then
// the iteration yields (nil, err) once and stops, err matching ErrTimeout
// (a *TimeoutError) and saying "N (of M) awaitables unfinished"; Python
// raises TimeoutError from the next step the same way. A completion after
// the expiry is no longer reported, as in asyncio, and nothing is cancelled.
//
// timeout <= 0 does not wait (Python's timeout=0 or a negative one): the
// awaitables already done are yielded, then the timeout if any is left. On
// a loop task the iteration still yields to the loop once first, as asyncio
// does, so a completion already scheduled there counts as done. NoTimeout
// waits without limit (Python: timeout=None), which is AsCompleted.
func AsCompletedTimeout[T any](ctx context.Context, timeout time.Duration, aws ...Awaitable[T]) iter.Seq2[Awaitable[T], error] {
	return func(yield func(Awaitable[T], error) bool) {
		if ctx == nil {
			yield(nil, nilCtx("AsCompleted"))
			return
		}
		d, err := distinct("AsCompleted", aws)
		if err != nil {
			yield(nil, err)
			return
		}
		if len(d.futs) == 0 {
			return
		}
		var queue []int
		expired := false // under w.mu
		task := park.Current(ctx)
		w := newWatcher(loopOf(task), d.futs, func(i int) bool {
			if expired {
				// asyncio's _on_timeout removed the done callbacks.
				return false
			}
			queue = append(queue, i)
			return true
		})
		w.start(false)
		defer w.close(true)
		expire := func() {
			w.mu.Lock()
			expired = true
			w.mu.Unlock()
			w.wake()
		}
		switch {
		case timeout == NoTimeout:
		case task != nil:
			// asyncio's call_later, also for timeout <= 0: its timer
			// phase comes after the done callbacks start posted.
			l := task.Loop()
			h := l.After(l.Now().Add(timeout), expire)
			defer h.Cancel()
		case timeout <= 0:
			expire() // start has queued what is done
		default:
			tm := time.AfterFunc(timeout, expire)
			defer tm.Stop()
		}
		unfinished := func(left int, err error) error {
			return fmt.Errorf("duet: AsCompleted: %d (of %d) awaitables unfinished: %w", left, len(d.futs), err)
		}
		for left := len(d.futs); left > 0; left-- {
			err := w.wait(ctx, nil)
			w.mu.Lock()
			n := len(queue)
			w.mu.Unlock()
			if err != nil && (n == 0 || task != nil) {
				yield(nil, unfinished(left, err))
				return
			}
			// A goroutine whose ctx ended as a completion arrived
			// hands out what is done first (a task's cancellation
			// wins, as in asyncio), and so does an expired timeout.
			if n == 0 {
				// Woken with nothing queued: the timeout expired.
				yield(nil, unfinished(left, &TimeoutError{}))
				return
			}
			w.mu.Lock()
			i := queue[0]
			queue = queue[1:]
			if len(queue) == 0 && !expired {
				w.signalled = false
			}
			w.mu.Unlock()
			if !yield(d.first[i], nil) {
				return
			}
		}
	}
}
