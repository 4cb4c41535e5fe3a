package duet

import (
	"context"
	"fmt"

	"github.com/duet-go/duet/internal/park"
)

// Shield protects a from the cancellation of whoever awaits it (Python:
// asyncio.shield). It returns a new future (the outer) that completes with
// a's outcome; cancelling the outer, which is what cancelling a task that
// awaits it does, cancels only the outer: a keeps running. If a itself is
// cancelled, the outer is cancelled too. If a is already done, Shield
// returns a's own future.
//
//	v, err := duet.Await(ctx, duet.Shield(ctx, t))
//	// err matches ErrCancelled if the awaiting task was cancelled; t runs on
//
// ctx tells in which world the outer is completed, like AddDoneCallback: on
// ctx's event loop in a later step (asyncio's done callback) or else
// synchronously in the goroutine that completes a. Once the outer is done,
// Shield leaves nothing registered on a. Keep a reference to a if you want
// its outcome after a cancellation. A nil a gives a future failed with an
// error matching ErrNilAwaitable.
func Shield[T any](ctx context.Context, a Awaitable[T]) *Future[T] {
	if ctx == nil {
		f := NewFuture[T]()
		f.SetError(nilCtx("Shield"))
		return f
	}
	inner, err := futureOf(a)
	if err != nil {
		f := NewFuture[T]()
		f.SetError(fmt.Errorf("duet: Shield: %w", err))
		return f
	}
	if inner.IsDone() {
		return inner
	}
	outer := NewFuture[T]()
	loop := park.LoopOf(ctx)
	post := func(fn func()) {
		// On a closed loop, complete here rather than never (as
		// AddDoneCallback does).
		if loop == nil || !loop.Post(fn) {
			fn()
		}
	}
	var innerSub *park.Waiter
	innerSub = park.Func(func() {
		post(func() {
			if outer.IsDone() {
				if !inner.Cancelled() {
					inner.Err() // nobody can ask for it any more
				}
				return
			}
			v, err := inner.Result()
			outer.Complete(v, err) // a cancellation cancels the outer
		})
	})
	outerSub := park.Func(func() {
		post(func() {
			if !inner.IsDone() {
				inner.unsubscribe(innerSub)
			}
		})
	})
	if !inner.subscribe(innerSub) {
		innerSub.Wake()
	}
	outer.subscribe(outerSub)
	return outer
}
