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

func TestInside(t *testing.T) {
	if coro.Inside() {
		t.Fatal("Inside on a plain goroutine")
	}
	c := coro.New()
	defer c.Close()
	var in, deep bool
	var recurse func(int) bool
	recurse = func(n int) bool {
		if n == 0 {
			return coro.Inside()
		}
		return recurse(n - 1)
	}
	c.Start(fn(func() { in = coro.Inside(); deep = recurse(500) }))
	if !in || !deep {
		t.Fatalf("Inside in a coroutine: %v, under 500 frames: %v", in, deep)
	}
}
