package coro_test

import (
	"testing"

	"github.com/duet-go/duet/internal/coro"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fn func()

func (f fn) Run() { f() }

func TestStartSuspendResumeReuse(t *testing.T) {
	c := coro.New()
	var log []string
	var self *coro.Coro = c
	done := c.Start(fn(func() {
		log = append(log, "a1")
		self.Suspend()
		log = append(log, "a2")
	}))
	if done || len(log) != 1 {
		t.Fatalf("first step: done=%v log=%v", done, log)
	}
	if !c.Resume() || len(log) != 2 {
		t.Fatalf("second step: log=%v", log)
	}
	// The same coroutine runs the next function.
	if !c.Start(fn(func() { log = append(log, "b") })) || log[2] != "b" {
		t.Fatalf("reuse: %v", log)
	}
	c.Close()
	c.Close() // idempotent
}

func TestCloseUnwindsSuspendedFunction(t *testing.T) {
	c := coro.New()
	unwound := false
	c.Start(fn(func() {
		defer func() { unwound = true }()
		if !c.Suspend() {
			return // closing: unwind without suspending again
		}
		t.Error("resumed after Close")
	}))
	c.Close()
	if !unwound {
		t.Fatal("the suspended function did not unwind")
	}
}
