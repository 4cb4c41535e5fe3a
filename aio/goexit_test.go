package aio_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// runGuarded runs aio.Run on a goroutine of its own, so that a Run that
// never returns (it used to, after a Goexit) fails the test instead of
// ending the test's goroutine or hanging the suite.
func runGuarded(t *testing.T, main func(ctx context.Context) error, opts ...aio.Option) error {
	t.Helper()
	res := make(chan error, 1)
	returned := false
	go func() {
		defer func() {
			if !returned {
				res <- errors.New("aio.Run did not return: its goroutine exited")
			}
		}()
		err := aio.Run(context.Background(), main, opts...)
		returned = true
		res <- err
	}()
	select {
	case err := <-res:
		return err
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatal("aio.Run still running after a minute")
		return nil
	}
}

func isGoexit(err error) bool {
	var pe *duet.PanicError
	return errors.As(err, &pe) && strings.Contains(err.Error(), "runtime.Goexit")
}

// A task whose function calls runtime.Goexit (t.FailNow does) ends with a
// *duet.PanicError saying so; its loop and the other tasks go on, and Run
// returns.
func TestGoexitInTaskEndsTheTask(t *testing.T) {
	err := runGuarded(t, func(ctx context.Context) error {
		bad := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := duet.Sleep(ctx, time.Millisecond); err != nil {
				return 0, err
			}
			runtime.Goexit()
			return 1, nil
		})
		good := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 2, duet.Sleep(ctx, 2*time.Millisecond)
		})
		if _, err := duet.Await(ctx, bad); !isGoexit(err) {
			return errors.New("Goexit task: " + errString(err))
		}
		if v, err := duet.Await(ctx, good); v != 2 || err != nil {
			return errors.New("the other task: " + errString(err))
		}
		// Again, with the task's first step the one that exits: the loop
		// must not reuse the retired coroutine.
		for range 3 {
			t := aio.Spawn(ctx, func(ctx context.Context) (int, error) { runtime.Goexit(); return 0, nil })
			if _, err := duet.Await(ctx, t); !isGoexit(err) {
				return errors.New("Goexit at first step: " + errString(err))
			}
		}
		return nil
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
}

// runtime.Goexit in Run's main makes Run return main's failure.
func TestGoexitInMainReturnsFromRun(t *testing.T) {
	err := runGuarded(t, func(ctx context.Context) error {
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	})
	if !isGoexit(err) {
		t.Fatalf("Run: %v, want the Goexit failure", err)
	}
}

// A Goexit nobody retrieves is reported like a panic.
func TestGoexitUnretrievedIsReported(t *testing.T) {
	var reports []aio.ExceptionContext
	err := runGuarded(t, func(ctx context.Context) error {
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { runtime.Goexit(); return 0, nil })
		return duet.Sleep(ctx, time.Millisecond)
	}, aio.WithVirtualClock(), aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !isGoexit(reports[0].Err) {
		t.Fatalf("reports %+v, want one Goexit failure", reports)
	}
}
