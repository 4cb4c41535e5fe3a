package main

import (
	"context"
	"strings"
	"testing"

	"github.com/duet-go/duet/aio"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTour runs the quick-start program and checks what it reports.
func TestTour(t *testing.T) {
	var out strings.Builder
	if err := aio.Run(context.Background(), func(ctx context.Context) error { return tour(ctx, &out) }); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"gathered [slow.bin fast.bin medium.bin] (argument order)",
		"errors.Is(err, duet.ErrTimeout) = true",
		"all blocks hashed; blocks per worker",
		"errors.Is(err, duet.ErrCancelled) = true, Cancelled() = true",
		"goroutine result 149999997",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Tasks of one loop interleave: the fast download finishes first.
	if strings.Index(out.String(), "fast: done") > strings.Index(out.String(), "slow: done") {
		t.Errorf("fast finished after slow:\n%s", out.String())
	}
}
