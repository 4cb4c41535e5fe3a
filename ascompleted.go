package duet

import (
	"context"
	"fmt"
	"iter"

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
// There is no timeout parameter: the deadline comes from ctx. Range inside
// WithTimeout on a loop task (the deadline then cancels the waiting task),
// or pass a context with a deadline on a goroutine. When the caller is
// cancelled or its deadline passes before all have completed, the iteration
// yields (nil, err) once and stops; err wraps the cancellation (matching
// ErrCancelled, or ErrTimeout for a context deadline) and says how many
// awaitables were unfinished, like Python's TimeoutError "N (of M) futures
// unfinished". The unfinished awaitables are not cancelled.
//
// A nil awaitable yields (nil, err matching ErrNilAwaitable) before anything
// else and ends the iteration. Breaking out of the loop, or the iteration
// ending, leaves nothing registered on the awaitables. Each range over the
// returned iterator starts afresh.
func AsCompleted[T any](ctx context.Context, aws ...Awaitable[T]) iter.Seq2[Awaitable[T], error] {
	return func(yield func(Awaitable[T], error) bool) {
		ctx := orBackground(ctx)
		d, err := distinct("AsCompleted", aws)
		if err != nil {
			yield(nil, err)
			return
		}
		if len(d.futs) == 0 {
			return
		}
		var queue []int
		task := park.Current(ctx)
		w := newWatcher(loopOf(task), d.futs, func(i int) bool {
			queue = append(queue, i)
			return true
		})
		w.start(false)
		defer w.close(true)
		for left := len(d.futs); left > 0; left-- {
			if err := w.wait(ctx, nil); err != nil {
				w.mu.Lock()
				n := len(queue)
				w.mu.Unlock()
				if n == 0 || task != nil {
					yield(nil, fmt.Errorf("duet: AsCompleted: %d (of %d) awaitables unfinished: %w", left, len(d.futs), err))
					return
				}
				// A goroutine whose ctx ended as a completion
				// arrived: hand out what is done first. (A task's
				// cancellation wins, as in asyncio.)
			}
			w.mu.Lock()
			i := queue[0]
			queue = queue[1:]
			if len(queue) == 0 {
				w.signalled = false
			}
			w.mu.Unlock()
			if !yield(d.first[i], nil) {
				return
			}
		}
	}
}
