package aio_test

import (
	"bytes"
	"context"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func goroutineProfile(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// With WithProfileLabels a task's goroutine carries its name, id and loop
// as pprof labels while it lives, and loses them when it ends; without it,
// tasks carry none.
func TestProfileLabels(t *testing.T) {
	for _, labelled := range []bool{true, false} {
		var opts []aio.Option
		if labelled {
			opts = append(opts, aio.WithProfileLabels())
		}
		var during, after string
		var loopID uint64
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			loopID = aio.LoopOf(ctx).ID()
			release := duet.NewFuture[struct{}]()
			task := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				_, err := duet.Await(ctx, release)
				return 0, err
			}, aio.WithName("labelled-task"))
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
			during = goroutineProfile(t)
			release.SetResult(struct{}{})
			if _, err := duet.Await(ctx, task); err != nil {
				return err
			}
			after = goroutineProfile(t)
			return nil
		}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		want := `"duet.task":"labelled-task"`
		if got := strings.Contains(during, want); got != labelled {
			t.Errorf("labelled=%v: profile has %s: %v\n%s", labelled, want, got, during)
		}
		if labelled && !strings.Contains(during, `"duet.loop":"`+strconv.FormatUint(loopID, 10)+`"`) {
			t.Errorf("no duet.loop label in\n%s", during)
		}
		if strings.Contains(after, want) {
			t.Errorf("labelled=%v: the task's labels outlive it:\n%s", labelled, after)
		}
	}
}

// While a runtime trace is recorded, each task is a trace task named after
// it and its steps are regions.
func TestProfileTrace(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is already being recorded (go test -trace)")
	}
	var b bytes.Buffer
	if err := trace.Start(&b); err != nil {
		t.Fatal(err)
	}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		tk := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			for range 3 {
				if err := duet.Sleep(ctx, time.Millisecond); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}, aio.WithName("traced-task-7f3a"))
		_, err := duet.Await(ctx, tk)
		return err
	}, aio.WithProfileLabels())
	trace.Stop()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"traced-task-7f3a", "duet.step"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("the trace (%d bytes) does not name %q", b.Len(), want)
		}
	}
}
