package duet_test

import (
	"context"
	"testing"

	"github.com/duet-go/duet"
)

// A panicking done callback neither stops the callbacks and waiters after
// it nor reaches the goroutine that completed the future.
func TestDoneCallbackPanicIsContained(t *testing.T) {
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
}
