package thread_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/duet-go/duet/internal/testlog"
)

// eventually polls cond until it holds. It is not a timing assertion: the
// limit only turns a bug into a failure instead of a hang.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for: %s", what)
		}
		runtime.Gosched()
		time.Sleep(50 * time.Microsecond)
	}
}

// guard returns a context that ends long after any correct test would have
// finished, so that a deadlock fails the test instead of hanging it.
func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recv receives from ch or fails the test after the guard limit.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("gave up waiting on a channel")
	}
	panic("unreachable")
}

// captureLog sends log/slog's default output to a buffer for the rest of
// the test, and returns a function reading it.
func captureLog(t testing.TB) func() string { return testlog.Capture(t) }
