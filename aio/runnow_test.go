package aio_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A task that awaits a task it just spawned may run it without a loop
// iteration in between (aio's RunNow shortcut), but never in an order
// asyncio would not produce: what the child schedules, a timer already due
// and a done callback all run before the awaiting task resumes. The
// expected trace is CPython 3.11's for the same program.
func TestAwaitFreshTaskKeepsAsyncioOrder(t *testing.T) {
	var log []string
	add := func(s string) { log = append(log, s) }
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		child := func(ctx context.Context) (int, error) {
			add("child")
			aio.Spawn(ctx, func(context.Context) (int, error) { add("grandchild"); return 0, nil })
			return 1, nil
		}
		if _, err := duet.Await(ctx, aio.Spawn(ctx, child)); err != nil {
			return err
		}
		add("main resumed")
		l.CallLater(0, func() { add("timer") })
		child2 := func(context.Context) (int, error) { add("child2"); return 2, nil }
		if _, err := duet.Await(ctx, aio.Spawn(ctx, child2)); err != nil {
			return err
		}
		add("main resumed 2")
		t2 := aio.Spawn(ctx, child2)
		t2.Future().AddDoneCallback(ctx, func(*duet.Future[int]) { add("done callback") })
		if _, err := duet.Await(ctx, t2); err != nil {
			return err
		}
		add("main resumed 3")
		return nil
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"child", "grandchild", "main resumed", "child2", "timer", "main resumed 2", "child2", "done callback", "main resumed 3"}
	if !slices.Equal(log, want) {
		t.Fatalf("order %v\nwant  %v", log, want)
	}
}

// A cancellation of the awaiting task requested while the awaited task runs
// reaches both as in asyncio (CPython 3.11: the awaiting task's cancel
// passes to the task it awaits, which ends cancelled even though it
// returned a value, and the awaiting task gets the cancellation).
func TestAwaitFreshTaskCancelledMeanwhile(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		var outer *aio.Task[int]
		var inner *aio.Task[int]
		outer = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			inner = aio.Spawn(ctx, func(context.Context) (int, error) { outer.Cancel("meanwhile"); return 1, nil })
			return duet.Await(ctx, inner)
		})
		_, err := duet.Await(ctx, outer)
		if !errors.Is(err, duet.ErrCancelled) || !outer.Future().Cancelled() {
			t.Errorf("outer: %v, cancelled %v; want cancelled", err, outer.Future().Cancelled())
		}
		if !inner.Future().Cancelled() {
			v, err := inner.Result()
			t.Errorf("inner: %v, %v; want cancelled, as asyncio passes the awaiting task's cancel on", v, err)
		}
		return nil
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
}
