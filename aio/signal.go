package aio

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// ErrInterrupted is what Run returns, with main's cancellation, when main
// was cancelled by a SIGINT (Ctrl-C) and ended with that cancellation
// (Python: asyncio.run raising KeyboardInterrupt).
var ErrInterrupted = errors.New("aio: interrupted (SIGINT)")

// errSignalNotOnLoop refuses AddSignalHandler off the loop.
var errSignalNotOnLoop = errors.New("aio: AddSignalHandler is called from the loop's own goroutine, a task or a callback of the loop (Python requires the main thread): from another goroutine, schedule the call with CallSoon")

// maxSignal bounds the signal numbers that exist: 64 on Linux, fewer
// elsewhere, where Notify ignores what the system lacks.
const maxSignal = 64

// sigEntry is one signal's registration on one loop: its own channel, so
// that removing it touches no other loop's (signal.Stop is per channel),
// and a goroutine that forwards what arrives.
type sigEntry struct {
	ch   chan os.Signal
	stop chan struct{}
	// Guarded by the loop's sigMu: replaced by a second AddSignalHandler.
	fn     func()       // the handler, run on the loop
	sigint *sigintState // set instead of fn for Run's own SIGINT handling
}

// sigintState is Run's SIGINT handling (Python: asyncio.Runner's
// _on_sigint).
type sigintState struct {
	main  AnyTask
	count atomic.Int32
}

// AddSignalHandler makes the loop call fn whenever the process receives
// sig, until RemoveSignalHandler or the loop's Close (Python:
// loop.add_signal_handler). fn runs as a callback of the loop, scheduled
// as CallSoon schedules from another goroutine, never in the middle of a
// task's step: a signal that arrives during a step is handled after it. A
// panic in fn is reported through the exception handler. Signals that
// arrive before fn has run for the previous one may be coalesced into one
// call, as the system coalesces pending signals. A second AddSignalHandler
// for sig replaces fn, with no moment in between where sig has its default
// effect.
//
// It is built on os/signal.Notify, with a channel and a goroutine per
// signal and loop, so several loops, and other Go code, may watch one
// signal: each gets every delivery. While a handler is set, sig no longer
// has its default effect (SIGINT no longer stops the program); removing
// the last handler restores it, unless other Go code still watches it.
// An aio.Run's SIGINT handling is its loop's SIGINT handler: adding one
// replaces it.
//
// Call it from a task or a callback of l (Python requires the main thread);
// from another goroutine, or on a loop that is not running, it is refused
// with an error saying so. SIGKILL and SIGSTOP, which cannot be caught, a
// signal number that does not exist, a sig that is not a syscall.Signal
// and a nil fn are refused with an error naming them (Python: ValueError).
func (l *Loop) AddSignalHandler(sig os.Signal, fn func()) error {
	s, err := checkSignal(sig)
	switch {
	case err != nil:
		return err
	case fn == nil:
		return fmt.Errorf("aio: AddSignalHandler(%v) with a nil function", sig)
	case l.IsClosed():
		return errLoopClosed
	case !l.onLoop():
		return errSignalNotOnLoop
	}
	l.setSignal(s, func(e *sigEntry) { e.fn, e.sigint = fn, nil })
	return nil
}

// RemoveSignalHandler removes the handler AddSignalHandler set for sig and
// reports whether there was one (Python: loop.remove_signal_handler). A
// delivery already scheduled does not run its handler. Safe from any
// goroutine; an invalid sig reports false.
func (l *Loop) RemoveSignalHandler(sig os.Signal) bool {
	s, err := checkSignal(sig)
	if err != nil {
		return false
	}
	c := &l.children
	c.sigMu.Lock()
	e := c.signals[s]
	delete(c.signals, s)
	c.sigMu.Unlock()
	if e == nil {
		return false
	}
	signal.Stop(e.ch)
	close(e.stop)
	return true
}

// checkSignal refuses what cannot have a handler.
func checkSignal(sig os.Signal) (syscall.Signal, error) {
	s, ok := sig.(syscall.Signal)
	switch {
	case !ok:
		return 0, fmt.Errorf("aio: signal handler for %v (%T): not a syscall.Signal", sig, sig)
	case s <= 0 || s > maxSignal:
		return 0, fmt.Errorf("aio: signal handler for signal number %d: no such signal (1 to %d)", int(s), maxSignal)
	case s == syscall.SIGKILL || s == sigStop:
		return 0, fmt.Errorf("aio: signal handler for %v (signal %d): it cannot be caught; handle SIGTERM or SIGINT instead", s, int(s))
	}
	return s, nil
}

// setSignal makes or updates sig's entry: set runs with sigMu held.
func (l *Loop) setSignal(sig syscall.Signal, set func(e *sigEntry)) {
	c := &l.children
	c.sigMu.Lock()
	defer c.sigMu.Unlock()
	if e := c.signals[sig]; e != nil {
		set(e)
		return
	}
	e := &sigEntry{ch: make(chan os.Signal, 1), stop: make(chan struct{})}
	set(e)
	if c.signals == nil {
		c.signals = map[syscall.Signal]*sigEntry{}
	}
	c.signals[sig] = e
	signal.Notify(e.ch, sig)
	go l.forwardSignals(sig, e)
}

// forwardSignals is an entry's goroutine.
func (l *Loop) forwardSignals(sig syscall.Signal, e *sigEntry) {
	for {
		select {
		case <-e.stop:
			return
		case <-e.ch:
		}
		c := &l.children
		c.sigMu.Lock()
		st := e.sigint
		c.sigMu.Unlock()
		if st != nil {
			st.interrupt()
			continue
		}
		_, _ = l.CallSoon(func() { // a closed loop has removed its handlers
			c.sigMu.Lock()
			var fn func()
			if c.signals[sig] == e {
				fn = e.fn
			}
			c.sigMu.Unlock()
			if fn != nil {
				fn()
			}
		})
	}
}

// interrupt is Run's SIGINT handler. It runs on the forwarding goroutine,
// not the loop, so that a second Ctrl-C interrupts even a loop that a
// blocking step holds (Python's handler runs between bytecodes for the
// same reason). The first cancels main; the next restores SIGINT's default
// effect and raises it again, ending the program as an unhandled Ctrl-C
// does (Python raises KeyboardInterrupt).
func (st *sigintState) interrupt() {
	if st.count.Add(1) == 1 {
		st.main.Cancel("aio.Run: interrupted (SIGINT)")
		return
	}
	signal.Reset(os.Interrupt)
	if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(os.Interrupt) == nil {
		select {} // the default effect ends the process
	}
	os.Exit(130) // no way to raise it here: exit as a shell reports a Ctrl-C
}

// removeAllSignals removes the loop's handlers when it closes.
func (l *Loop) removeAllSignals() {
	c := &l.children
	c.sigMu.Lock()
	sigs := make([]syscall.Signal, 0, len(c.signals))
	for s := range c.signals {
		sigs = append(sigs, s)
	}
	c.sigMu.Unlock()
	for _, s := range sigs {
		l.RemoveSignalHandler(s)
	}
}

// WithoutInterruptHandler makes Run leave SIGINT alone: Ctrl-C keeps its
// default effect (or whatever other Go code made of it) instead of
// cancelling main. For programs that handle SIGINT themselves, and for
// loops made with New, which never handle it.
func WithoutInterruptHandler() Option { return func(l *Loop) { l.children.noSigint = true } }

// handleInterrupts installs Run's SIGINT handling for main (Python:
// asyncio.Runner.run installing _on_sigint), unless WithoutInterruptHandler
// said not to or SIGINT is ignored (a program started in the background by
// a shell, or under nohup, keeps ignoring it, as Python's Runner only
// replaces the default handler). It returns nil when it installed nothing.
func (l *Loop) handleInterrupts(main AnyTask) *sigintState {
	if l.children.noSigint || signal.Ignored(os.Interrupt) {
		return nil
	}
	st := &sigintState{main: main}
	l.setSignal(syscall.SIGINT, func(e *sigEntry) { e.fn, e.sigint = nil, st })
	return st
}

// interrupted reports whether Run's SIGINT handling cancelled main.
func (st *sigintState) interrupted() bool { return st != nil && st.count.Load() > 0 }
