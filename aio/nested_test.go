package aio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Running a loop from inside a running loop is refused with ErrNestedRun at
// every entry point, whatever context the caller holds: it used to run the
// other loop nested (RunForever), hang (RunUntilComplete on the outer
// loop's work), or freeze the outer loop (Run with context.Background()).
func TestNestedRunIsRefused(t *testing.T) {
	entries := map[string]func(outer context.Context, l2 *aio.Loop) error{
		"RunForever": func(_ context.Context, l2 *aio.Loop) error {
			l2.Stop() // were it to run, it would run one iteration only
			return l2.RunForever()
		},
		"RunUntilComplete/outer work": func(outer context.Context, l2 *aio.Loop) error {
			f := duet.NewFuture[int]() // completed by nobody: would hang
			_, err := aio.RunUntilComplete(l2, f)
			return err
		},
		"RunUntilComplete/own work": func(_ context.Context, l2 *aio.Loop) error {
			_, err := aio.RunUntilComplete(l2, aio.Spawn(l2.Context(), func(context.Context) (int, error) { return 1, nil }))
			return err
		},
		"Run/Background": func(context.Context, *aio.Loop) error {
			return aio.Run(context.Background(), func(context.Context) error { return nil })
		},
	}
	for name, enter := range entries {
		t.Run(name+"/task", func(t *testing.T) {
			err := runGuarded(t, func(ctx context.Context) error {
				l2 := aio.New()
				defer l2.Close()
				if err := enter(ctx, l2); !errors.Is(err, aio.ErrNestedRun) {
					return fmt.Errorf("from a task: %v, want ErrNestedRun", err)
				}
				// The refusal left the other loop usable.
				if l2.IsRunning() || l2.IsClosed() {
					return errors.New("the refused loop's state changed")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Run(name+"/callback", func(t *testing.T) {
			err := runGuarded(t, func(ctx context.Context) error {
				l2 := aio.New()
				defer l2.Close()
				res := duet.NewFuture[error]()
				aio.LoopOf(ctx).CallSoon(func() { res.SetResult(enter(ctx, l2)) })
				err, _ := duet.Await(ctx, res)
				if !errors.Is(err, aio.ErrNestedRun) {
					return fmt.Errorf("from a callback: %v, want ErrNestedRun", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A goroutine that a task starts may run a loop of its own: it is not
// nested.
func TestLoopOnGoroutineOfTaskRuns(t *testing.T) {
	err := runGuarded(t, func(ctx context.Context) error {
		done := make(chan error, 1)
		go func() {
			done <- aio.Run(context.Background(), func(ctx context.Context) error { return duet.Sleep(ctx, 0) })
		}()
		return <-done // blocks the loop, on purpose: nothing else to run
	})
	if err != nil {
		t.Fatal(err)
	}
}
