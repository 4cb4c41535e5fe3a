package aio_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

type reports struct {
	mu sync.Mutex
	ec []aio.ExceptionContext
}

func (r *reports) handler(_ *aio.Loop, ec aio.ExceptionContext) {
	r.mu.Lock()
	r.ec = append(r.ec, ec)
	r.mu.Unlock()
}

func (r *reports) all() []aio.ExceptionContext {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]aio.ExceptionContext(nil), r.ec...)
}

func TestDebugSlowStepNamesTaskAndStack(t *testing.T) {
	var r reports
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		task := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			time.Sleep(200 * time.Millisecond) // blocks the loop, as a blocking call in asyncio would
			return 0, nil
		}, aio.WithName("blocker"))
		_, err := duet.Await(ctx, task)
		return err
	}, aio.WithDebug(20*time.Millisecond), aio.WithExceptionHandler(r.handler))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ec := range r.all() {
		if ec.Task == "blocker" && strings.Contains(ec.Message, "held the loop") &&
			strings.Contains(string(ec.Stack), "time.Sleep") && strings.Contains(string(ec.Stack), "debug_test.go") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no slow-step report naming the task and its stack; got %+v", r.all())
	}
}

func TestDebugDetectsTaskContextUsedFromGoroutine(t *testing.T) {
	var r reports
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		res := make(chan error)
		go func() { res <- duet.Sleep(ctx, time.Millisecond) }()
		// The task keeps running (blocking, on purpose) while the goroutine
		// waits with the task's context.
		err := <-res
		if !errors.Is(err, duet.ErrInvalidState) {
			return errors.New("misuse not detected: " + errString(err))
		}
		return nil
	}, aio.WithDebug(time.Hour), aio.WithExceptionHandler(r.handler))
	if err != nil {
		t.Fatal(err)
	}
	all := r.all()
	if len(all) != 1 || !strings.Contains(all[0].Message, "used to wait from goroutine") || all[0].Task != "main" {
		t.Fatalf("reports: %+v", all)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
