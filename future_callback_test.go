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
