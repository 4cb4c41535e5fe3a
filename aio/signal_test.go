//go:build linux

package aio_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A signal sent to the process during a step is handled on the loop after
// the step, never inside it; removing the handler stops it.
func TestSignalHandlerDuringStep(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		var got duet.Event
		calls := 0
		if err := l.AddSignalHandler(syscall.SIGUSR1, func() { calls++; got.Set() }); err != nil {
			return err
		}
		syscall.Kill(os.Getpid(), syscall.SIGUSR1)
		time.Sleep(20 * time.Millisecond) // a blocking step: the signal arrives during it
		if calls != 0 {
			t.Error("the handler ran inside a task's step")
		}
		if err := got.Wait(ctx); err != nil {
			return err
		}
		if !l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("RemoveSignalHandler = false for a set handler")
		}
		if l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("RemoveSignalHandler = true twice")
		}
		if calls != 1 {
			t.Errorf("the handler ran %d times for one signal", calls)
		}
		return nil
	})
}

// A second AddSignalHandler replaces the first; two loops both hear one
// signal.
func TestSignalHandlerReplaceAndTwoLoops(t *testing.T) {
	other := aio.New()
	defer other.Close()
	var otherGot duet.Event
	ready := make(chan error, 1)
	otherDone := make(chan error, 1)
	go func() {
		_, err := aio.RunUntilComplete(other, aio.Spawn(other.Context(), func(ctx context.Context) (struct{}, error) {
			ready <- other.AddSignalHandler(syscall.SIGUSR2, otherGot.Set)
			return struct{}{}, otherGot.Wait(ctx)
		}))
		otherDone <- err
	}()
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	runReal(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		var first, second duet.Event
		if err := l.AddSignalHandler(syscall.SIGUSR2, first.Set); err != nil {
			return err
		}
		if err := l.AddSignalHandler(syscall.SIGUSR2, second.Set); err != nil {
			return err
		}
		syscall.Kill(os.Getpid(), syscall.SIGUSR2)
		if err := second.Wait(ctx); err != nil {
			return err
		}
		if first.IsSet() {
			t.Error("the replaced handler ran")
		}
		return nil
	})
	if err := <-otherDone; err != nil {
		t.Errorf("the other loop: %v", err)
	}
}

// Bad input is a clear error: an uncatchable signal, one that does not
// exist, a nil function, and a call from a goroutine that is not the
// loop's.
func TestSignalHandlerBadInput(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		for _, c := range []struct {
			sig  os.Signal
			fn   func()
			want string
		}{
			{syscall.SIGKILL, func() {}, "cannot be caught"},
			{syscall.SIGSTOP, func() {}, "cannot be caught"},
			{syscall.Signal(0), func() {}, "no such signal"},
			{syscall.Signal(99), func() {}, "no such signal"},
			{syscall.SIGUSR1, nil, "nil function"},
		} {
			if err := l.AddSignalHandler(c.sig, c.fn); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("AddSignalHandler(%v): %v; want an error saying %q", c.sig, err, c.want)
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- l.AddSignalHandler(syscall.SIGUSR1, func() {}) }()
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "loop's own goroutine") {
			t.Errorf("AddSignalHandler from a goroutine: %v", err)
		}
		if l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("a refused handler was set")
		}
		return nil
	})
	l := aio.New()
	l.Close()
	if err := l.AddSignalHandler(syscall.SIGUSR1, func() {}); !errors.Is(err, duet.ErrClosed) {
		t.Errorf("on a closed loop: %v; want ErrClosed", err)
	}
}
