package aio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Python: asyncio.current_task().cancel() in main makes asyncio.run raise
// CancelledError at main's next await.
func TestMainCancelsItselfThroughCurrentTask(t *testing.T) {
	var self aio.AnyTask
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		cur, ok := aio.CurrentTask(ctx)
		if !ok || cur == nil {
			return fmt.Errorf("main has no current task: %v %v", cur, ok)
		}
		self = cur
		if cur.Name() != "main" {
			return fmt.Errorf("main's task is named %q", cur.Name())
		}
		if !cur.Cancel("main gives up") {
			return errors.New("Cancel on the running main task reported false")
		}
		return duet.Sleep(ctx, 0)
	}, aio.WithVirtualClock())
	var ce *duet.CancelledError
	if !errors.As(err, &ce) || ce.Msg != "main gives up" {
		t.Fatalf("Run returned %v, want the cancellation main asked for", err)
	}
	if !self.IsDone() || !self.Cancelled() {
		t.Fatalf("main's task after Run: done=%v cancelled=%v", self.IsDone(), self.Cancelled())
	}
	select {
	case <-self.Done():
	default:
		t.Fatal("main's Done channel is open after Run")
	}
}

// A task withdraws a cancellation request it received through its own
// handle, as asyncio code does with current_task().uncancel(), and goes on.
func TestCurrentTaskCancellingAndUncancel(t *testing.T) {
	run(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			self, ok := aio.CurrentTask(ctx)
			if !ok {
				return "", errors.New("no current task")
			}
			err := duet.Sleep(ctx, 1e9)
			if !errors.Is(err, duet.ErrCancelled) {
				return "", fmt.Errorf("sleep ended with %v, want the cancellation", err)
			}
			if n := self.Cancelling(); n != 1 {
				return "", fmt.Errorf("Cancelling() = %d after one request, want 1", n)
			}
			if n := self.Uncancel(); n != 0 {
				return "", fmt.Errorf("Uncancel() = %d, want 0", n)
			}
			if self.Cancelling() != 0 {
				return "", errors.New("Cancelling() is not 0 after Uncancel")
			}
			if err := duet.Sleep(ctx, 0); err != nil {
				return "", fmt.Errorf("after Uncancel a wait failed: %v", err)
			}
			return "went on", nil
		})
		if err := duet.Sleep(ctx, 0); err != nil { // let the child start its sleep
			return err
		}
		child.Cancel("stop")
		v, err := duet.Await(ctx, child)
		if err != nil || v != "went on" {
			return fmt.Errorf("child: %q, %v", v, err)
		}
		return nil
	})
}

// The handle CurrentTask gives a task, and the one Tasks lists, are the
// *Task[T] that Spawn returned: == holds on the interface values.
func TestCurrentTaskIsSpawnedTask(t *testing.T) {
	run(t, func(ctx context.Context) error {
		seen := make(chan aio.AnyTask, 1)
		var listed []aio.AnyTask
		child := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			cur, _ := aio.CurrentTask(ctx)
			seen <- cur
			listed = aio.LoopOf(ctx).Tasks()
			return 7, nil
		}, aio.WithName("child"))
		if _, err := duet.Await(ctx, child); err != nil {
			return err
		}
		cur := <-seen
		if cur != aio.AnyTask(child) {
			return fmt.Errorf("CurrentTask gave %v, Spawn returned %v", cur, child)
		}
		if typed, ok := cur.(*aio.Task[int]); !ok || typed != child {
			return fmt.Errorf("the handle is %T, not the spawned *aio.Task[int]", cur)
		}
		main, _ := aio.CurrentTask(ctx)
		if len(listed) != 2 || listed[0] != main || listed[1] != aio.AnyTask(child) {
			return fmt.Errorf("Tasks() from the child = %v, want [main child]", listed)
		}
		return nil
	})
}

// Off a task there is no current task, even with a suspended task's
// context in hand.
func TestCurrentTaskOnGoroutine(t *testing.T) {
	if cur, ok := aio.CurrentTask(context.Background()); ok || cur != nil {
		t.Fatalf("CurrentTask(Background) = %v, %v", cur, ok)
	}
	run(t, func(ctx context.Context) error {
		got := duet.NewFuture[bool]()
		l := aio.LoopOf(ctx)
		go func() {
			// main is suspended in Await below until got is set, once
			// the loop runs a callback: it does so only between steps.
			between := make(chan struct{})
			if _, err := l.CallSoonThreadsafe(func() { close(between) }); err != nil {
				got.SetError(err)
				return
			}
			<-between
			_, ok := aio.CurrentTask(ctx)
			got.SetResult(ok)
		}()
		ok, err := duet.Await(ctx, got)
		if err != nil {
			return err
		}
		if ok {
			return errors.New("a goroutine holding main's context while main waits is taken for main")
		}
		return nil
	})
}
