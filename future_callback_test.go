package duet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/internal/testlog"
)

// A panicking done callback neither stops the callbacks and waiters after
// it nor reaches the goroutine that completed the future.
func TestDoneCallbackPanicIsContained(t *testing.T) {
	logged := testlog.Capture(t)
	f := duet.NewFuture[int]()
	var order []string
	f.AddDoneCallback(context.Background(), func(*duet.Future[int]) { order = append(order, "first"); panic("bad callback") })
	f.AddDoneCallback(context.Background(), func(*duet.Future[int]) { order = append(order, "second") })
	done := make(chan struct{})
	go func() {
		duet.Await(context.Background(), f)
		close(done)
	}()
	if err := f.SetResult(1); err != nil {
		t.Fatal(err)
	}
	<-done
	if len(order) != 2 || order[1] != "second" {
		t.Fatalf("callbacks ran: %v", order)
	}
	if out := logged(); !strings.Contains(out, "bad callback") {
		t.Fatalf("the panic was not reported; log: %q", out)
	}
}

// A callback registered for a loop that has closed runs in the completing
// goroutine instead; its panic is reported like a goroutine-world
// callback's (logged) and never reaches the goroutine calling SetResult.
func TestDoneCallbackOfClosedLoopPanicIsContained(t *testing.T) {
	logged := testlog.Capture(t)
	l := aio.New()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f := duet.NewFuture[int]()
	ran := false
	f.AddDoneCallback(l.Context(), func(*duet.Future[int]) { ran = true; panic("closed-loop callback") })
	completed := make(chan any, 1)
	go func() {
		defer func() { completed <- recover() }()
		if err := f.SetResult(1); err != nil {
			t.Error(err)
		}
	}()
	if r := <-completed; r != nil {
		t.Fatalf("the callback's panic reached SetResult's caller: %v", r)
	}
	if !ran {
		t.Fatal("the callback did not run")
	}
	if out := logged(); !strings.Contains(out, "done callback panicked") || !strings.Contains(out, "closed-loop callback") {
		t.Fatalf("the panic was not reported; log: %q", out)
	}
}

// AddDoneCallback refuses a nil function at the call, on a pending and on a
// complete future, in both worlds; nothing is registered, so completing the
// future later does not fail on a nil call.
func TestAddDoneCallbackNilFunction(t *testing.T) {
	l := aio.New()
	t.Cleanup(func() { l.Close() })
	for _, ctx := range []context.Context{context.Background(), l.Context()} {
		pending, done := duet.NewFuture[int](), duet.NewFuture[int]()
		done.SetResult(1)
		for _, f := range []*duet.Future[int]{pending, done} {
			err := f.AddDoneCallback(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), "AddDoneCallback with a nil function") {
				t.Fatalf("AddDoneCallback(ctx, nil) = %v, want an error naming the nil function", err)
			}
		}
		if err := pending.AddDoneCallback(ctx, func(*duet.Future[int]) {}); err != nil {
			t.Fatalf("AddDoneCallback with a function = %v", err)
		}
		if err := pending.SetResult(2); err != nil {
			t.Fatal(err)
		}
	}
}
