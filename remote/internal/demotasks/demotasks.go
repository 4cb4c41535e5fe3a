// Package demotasks holds the tasks the duet-worker command serves: small
// ones for the multi-process tests, the benchmark and the quick start.
package demotasks

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/duet-go/duet/remote"
)

// HoldArgs asks Hold to take Ms milliseconds.
type HoldArgs struct {
	Ms  int
	Tag string
}

// HoldResult tells who ran a Hold: the worker process and the attempt.
type HoldResult struct {
	Tag     string
	PID     int
	Attempt int
}

var (
	// Echo returns its argument: the benchmark's task.
	Echo = remote.Define[[]byte, []byte]("demo.echo/v1")
	// Upper returns its argument in upper case: the quick start's task.
	Upper = remote.Define[string, string]("demo.upper/v1")
	// Hold sleeps (until its context ends) and says which process ran it.
	Hold = remote.Define[HoldArgs, HoldResult]("demo.hold/v1")
)

// Register adds the demo tasks to reg; started, if not nil, hears the tag
// of each Hold as it starts.
func Register(reg *remote.Registry, started func(tag string)) error {
	if err := remote.Handle(reg, Echo, func(ctx context.Context, b []byte) ([]byte, error) { return b, nil }); err != nil {
		return err
	}
	if err := remote.Handle(reg, Upper, func(ctx context.Context, s string) (string, error) { return strings.ToUpper(s), nil }); err != nil {
		return err
	}
	return remote.Handle(reg, Hold, func(ctx context.Context, a HoldArgs) (HoldResult, error) {
		if started != nil {
			started(a.Tag)
		}
		t := time.NewTimer(time.Duration(a.Ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return HoldResult{}, ctx.Err()
		}
		return HoldResult{Tag: a.Tag, PID: os.Getpid(), Attempt: remote.InfoFrom(ctx).Attempt}, nil
	})
}
