// Package coro runs functions as coroutines: goroutines that run only while
// their caller has handed them control. It is the engine under loop tasks.
//
// Control changes hands with the runtime's direct goroutine switch behind
// iter.Pull, which costs a fraction of a channel round trip. A Coro that has
// finished one function parks and can run the next one, so starting a task
// costs no goroutine creation.
package coro

import (
	"iter"
	"reflect"
	"runtime"
	"slices"
)

// Coro is a reusable coroutine. Start, Resume and Close must be called by one
// goroutine at a time (the loop); Suspend only from inside the running
// function.
type Coro struct {
	next     func() (struct{}, bool)
	stop     func()
	yield    func(struct{}) bool
	fn       Func
	finished bool
	closed   bool
	retired  bool // the function's goroutine is ending in runtime.Goexit
}

// New returns an idle coroutine.
func New() *Coro {
	c := &Coro{}
	c.next, c.stop = iter.Pull(c.seq)
	return c
}

func (c *Coro) seq(yield func(struct{}) bool) {
	c.yield = yield
	for {
		fn := c.fn
		c.fn = nil
		fn.Run()
		c.finished = true
		if !yield(struct{}{}) {
			return
		}
	}
}

// Func is a function a coroutine runs. It is an interface rather than a
// func value so that starting a task allocates no closure.
type Func interface{ Run() }

// Start runs fn on c until fn suspends or returns; it reports whether fn
// returned.
func (c *Coro) Start(fn Func) bool {
	c.fn = fn
	c.finished = false
	c.switchIn()
	return c.finished
}

// Resume continues the suspended function until it suspends again or
// returns; it reports whether it returned.
func (c *Coro) Resume() bool {
	c.switchIn()
	return c.finished
}

func (c *Coro) switchIn() {
	c.next()
	if c.retired {
		// Let the Goexit finish on a goroutine of its own: iter.Pull
		// passes a Goexit on to whoever resumed the coroutine, and that
		// must not be the caller (a loop).
		go c.next()
	}
}

// Exit, called by the running function from a deferred call while its
// goroutine runs runtime.Goexit, hands control back to the caller of Start
// or Resume as if the function had returned, and retires c (see Retired).
// The Goexit then completes on another goroutine, which it ends too, so
// that it never reaches the caller.
func (c *Coro) Exit() {
	c.finished = true
	c.retired = true
	c.yield(struct{}{})
}

// Retired reports whether c's goroutine has ended in runtime.Goexit: c
// runs no other function and needs no Close.
func (c *Coro) Retired() bool { return c.retired }

// Suspend hands control back to the caller of Start or Resume. It reports
// false when the coroutine is being closed: the function must then unwind
// without suspending again.
func (c *Coro) Suspend() bool {
	return c.yield(struct{}{})
}

// Close ends the coroutine's goroutine. A function suspended inside it sees
// Suspend return false.
func (c *Coro) Close() {
	if !c.closed {
		c.closed = true
		c.stop()
	}
}

// seqName is the name of the function at the bottom of every coroutine's
// goroutine, as the runtime reports it.
var seqName = funcName((*Coro).seq)

// Inside reports whether the calling goroutine is a coroutine's: whether it
// runs, maybe nested, a function that Start started; or, when also names
// are given, whether a frame of one of those functions is on its stack.
// Go has no goroutine identity, so Inside looks at the calling goroutine's
// own stack; that costs a stack walk (about a microsecond), for checks
// made once per call such as a loop refusing to run nested, not once per
// step.
func Inside(also ...string) bool { return OnStack(append(also, seqName)...) }

// OnStack reports whether a frame of one of the functions named is on the
// calling goroutine's stack (names as FuncName gives them).
func OnStack(names ...string) bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	for n == len(pcs) { // a deep stack: the frames wanted are at its bottom
		pcs = make([]uintptr, 2*len(pcs))
		n = runtime.Callers(2, pcs)
	}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if slices.Contains(names, f.Function) {
			return true
		}
		if !more {
			return false
		}
	}
}

// FuncName returns the name the runtime gives fn's frames, for OnStack.
func FuncName(fn any) string { return funcName(fn) }

func funcName(fn any) string {
	return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
}
