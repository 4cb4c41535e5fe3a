package thread_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

func TestTimerFires(t *testing.T) {
	ctx := guard(t)
	var ran atomic.Bool
	tm := thread.StartTimer(ctx, time.Millisecond, func(ctx context.Context) error {
		if _, ok := thread.Current(ctx); !ok {
			return errors.New("the timer's function runs without a thread identity")
		}
		ran.Store(true)
		return nil
	})
	if _, err := tm.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if !ran.Load() {
		t.Fatal("the function did not run")
	}
	if tm.Cancel() {
		t.Fatal("Cancel after the function ran succeeded")
	}
}

func TestTimerCancelWhileWaiting(t *testing.T) {
	ctx := guard(t)
	var ran atomic.Bool
	tm := thread.StartTimer(ctx, time.Hour, func(context.Context) error {
		ran.Store(true)
		return nil
	})
	if !tm.IsAlive() {
		t.Fatal("a waiting timer is not alive")
	}
	if !tm.Cancel() {
		t.Fatal("Cancel of a waiting timer failed")
	}
	if tm.Cancel() {
		t.Fatal("second Cancel succeeded")
	}
	_, err := tm.Join(ctx)
	if !errors.Is(err, duet.ErrCancelled) || !tm.Future().Cancelled() {
		t.Fatalf("cancelled timer: %v", err)
	}
	if ran.Load() {
		t.Fatal("a cancelled timer ran its function")
	}
}

func TestTimerCancelWhileRunning(t *testing.T) {
	ctx := guard(t)
	started := make(chan struct{})
	release := make(chan struct{})
	boom := errors.New("boom")
	tm := thread.StartTimer(ctx, 0, func(context.Context) error {
		close(started)
		<-release
		return boom
	})
	<-started
	if tm.Cancel() {
		t.Fatal("Cancel of a running timer succeeded")
	}
	close(release)
	if _, err := tm.Join(ctx); err != boom {
		t.Fatalf("Join = %v", err)
	}
}

func TestTimerContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(guard(t))
	var ran atomic.Bool
	tm := thread.StartTimer(ctx, time.Hour, func(context.Context) error {
		ran.Store(true)
		return nil
	})
	cancel()
	if _, err := tm.Join(context.Background()); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("Join = %v", err)
	}
	if ran.Load() {
		t.Fatal("the function ran after its context ended")
	}
	if tm.Cancel() {
		t.Fatal("Cancel after the context ended succeeded")
	}
}

// A timer without function has already failed, with an error that names
// StartTimer and the timer (not the Start it is built on).
func TestTimerNilFunction(t *testing.T) {
	tm := thread.StartTimer(context.Background(), time.Hour, nil)
	_, err := tm.Join(context.Background())
	want := fmt.Sprintf("thread: StartTimer with a nil function (timer %q)", tm.Name())
	if err == nil || err.Error() != want {
		t.Fatalf("nil function: err = %v, want %q", err, want)
	}
	if tm.Cancel() {
		t.Fatal("Cancel of a timer without function succeeded")
	}
}
