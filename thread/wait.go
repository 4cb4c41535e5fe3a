package thread

import (
	"context"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// waitDone waits until f completes or the wait is cancelled, without ever
// cancelling f: on a loop task the task parks on a waiter of its own (so
// cancelling the task abandons the wait, where Await would try to cancel f);
// on a goroutine it blocks until f completes or ctx is done.
func waitDone[T any](ctx context.Context, f *duet.Future[T]) error {
	if f.IsDone() {
		return nil
	}
	if park.Current(ctx) != nil {
		w := park.NewWaiter(ctx).Labeled(labelAwait, f)
		f.AddDoneCallback(context.Background(), func(*duet.Future[T]) { w.Wake() })
		return park.Park(ctx, w)
	}
	done := ctx.Done()
	if done == nil {
		<-f.Done()
		return nil
	}
	select {
	case <-f.Done():
		return nil
	case <-done:
		return park.CtxErr(ctx)
	}
}

var labelAwait = park.NewLabel("Await")
