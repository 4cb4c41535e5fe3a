package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/coro"
	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/ilist"
	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/internal/poll"
)

// ErrNoLoop is returned when an operation that needs an event loop is given
// a context that belongs to none.
var ErrNoLoop = errors.New("aio: context belongs to no event loop: call this from inside aio.Run (pass the ctx your task received) or use a Loop's Context()")

// ErrNestedRun is returned by Run, RunUntilComplete and Loop.RunForever
// when called from a task or a callback of a loop that is running, which
// would stop that loop for as long as the other one runs (Python:
// "asyncio.run() cannot be called from a running event loop", "Cannot run
// the event loop while another loop is running").
var ErrNestedRun = errors.New("aio: a loop was asked to run from inside a running event loop (a task or a callback): await the work instead, or run the other loop on a goroutine of its own")

// ErrLoopRunning is returned when a loop is asked to run while it runs, or
// to close while it runs.
var ErrLoopRunning = errors.New("aio: the event loop is running")

const (
	loopIdle int32 = iota
	loopRunning
	loopClosed
)

// entry is one ready item: a task step or a callback.
type entry struct {
	t *task
	h *Handle
}

// Loop is an event loop: one goroutine that runs callbacks and task steps
// one at a time, in FIFO order, and waits for timers and wake-ups in
// between (Python: asyncio's event loop).
//
// Every method may be called from any goroutine unless its doc says
// otherwise; the loop's state is owned by the goroutine running it and
// reached from elsewhere through an internal lock-protected queue.
type Loop struct {
	mu         sync.Mutex
	incoming   []entry                       // next iteration's ready items, guarded by mu
	timers     timerHeap                     // guarded by mu
	sleeping   bool                          // the loop is (about to be) blocked in wait; guarded by mu
	timerSeq   uint64                        // guarded by mu
	live       ilist.List[task, *task]       // tasks not yet removed, guarded by mu; finished ones wait in ended
	ended      []*task                       // finished tasks to take out of live; the loop's own
	idler      idler                         // how the loop waits between iterations (idle.go); chosen by New
	pl         *poll.Poller                  // made at the first I/O registration (io.go); the loop's own
	watches    map[watchKey]struct{}         // AddReader/AddWriter registrations; the loop's own
	children   loopChildren                  // subprocesses and signal handlers (process.go, signal.go)
	readBuf    []byte                        // the read buffer every Protocol's reads share (tcp.go); the loop's own
	otherAddrs map[*tcpTransport][2]net.Addr // addresses of non-IP (Unix) transports (tcp.go); the loop's own
	ready      []entry                       // this iteration's items, owned by the loop goroutine
	pos        int                           // index in ready of the item running now; the loop's own
	depth      int                           // nesting of task steps (an eager start nests); the loop's own

	stopping        atomic.Bool // Stop was called; written under mu
	cancelledTimers atomic.Int64
	state           atomic.Int32
	running         atomic.Pointer[task] // task whose step runs now

	clock         Clock
	epoch         time.Time // timer deadlines are kept as nanoseconds since epoch
	vclock        *VirtualClock
	src           wakeSources   // bridged work and I/O waits that may still wake the loop (idle.go)
	autojumpAfter time.Duration // a virtual clock's autojump threshold (WithAutojumpThreshold)
	free          []*coro.Coro
	taskSeq       uint64 // guarded by mu
	liveN         int    // live tasks at the last iteration's start; the loop's own

	handlerMu sync.Mutex
	handler   func(*Loop, ExceptionContext)

	failures    map[*futhook.Failure]string // unretrieved task errors → task name
	failSweepAt int

	exec executorState

	debug     bool
	profile   bool   // WithProfileLabels
	unprofile func() // restores the running loop goroutine's labels
	slow      time.Duration
	dbg       *debugState
	baseCtx   context.Context

	// Inspection (inspect.go, instrument.go).
	id         uint64
	inspectMu  sync.Mutex // held by a Snapshot of a loop that is not running, and by enter
	instrMu    sync.Mutex // serializes AddInstrument and RemoveInstrument
	instr      atomic.Pointer[[]Instrument]
	iterations uint64        // the loop's own
	steps      uint64        // the loop's own
	slowSteps  uint64        // timed steps over SlowStep; the loop's own
	maxStep    time.Duration // the longest timed step; the loop's own
	stepSince  atomic.Int64  // timed: when the running step began (UnixNano), 0 between steps
	stepGoid   atomic.Int64  // timed: the running step's goroutine, 0 if not known yet
}

// Option configures a loop made by New or Run.
type Option func(*Loop)

// WithClock makes the loop read time from c and keep its timers on c; see
// Clock for how the loop waits for c's deadlines, and VirtualClock for the
// clock that jumps.
func WithClock(c Clock) Option {
	return func(l *Loop) {
		l.clock = c
		l.vclock, _ = c.(*VirtualClock)
	}
}

// WithVirtualClock gives the loop a new VirtualClock (see VirtualClock).
func WithVirtualClock() Option { return WithClock(NewVirtualClock()) }

// WithDebug turns on debug checks: a warning, with the task's name and the
// stack it is blocked in, when one step holds the loop longer than
// slowStep (0 means 100 ms, as in Python), and an error report when a task's
// context is used to wait from a goroutine other than the task's.
func WithDebug(slowStep time.Duration) Option {
	return func(l *Loop) {
		l.debug = true
		if slowStep <= 0 {
			slowStep = 100 * time.Millisecond
		}
		l.slow = slowStep
		l.AddInstrument(debugHooks{l: l})
	}
}

// New returns a loop that is not running. Drive it with RunForever or
// RunUntilComplete, and Close it when done; Run does all of that for you.
func New(opts ...Option) *Loop {
	l := &Loop{
		clock:         realClock{},
		failures:      map[*futhook.Failure]string{},
		autojumpAfter: DefaultAutojumpThreshold,
	}
	for _, o := range opts {
		o(l)
	}
	l.idler = newChanIdler(&l.mu)
	if l.vclock != nil {
		l.idler = &autojump{inner: l.idler, clock: l.vclock, src: &l.src, threshold: l.autojumpAfter}
	}
	l.epoch = l.clock.Now()
	l.baseCtx = &loopCtx{Context: context.Background(), l: l}
	registerLoop(l)
	return l
}

// loopCtx attaches a loop to a context.
type loopCtx struct {
	context.Context
	l *Loop
}

func (c *loopCtx) Value(k any) any {
	if kk, ok := k.(*park.Key); ok && kk == park.LoopKey {
		return (*loopPort)(c.l)
	}
	return c.Context.Value(k)
}

// Context returns a context that belongs to the loop but to no task:
// Spawn with it from any goroutine to start a task on this loop.
func (l *Loop) Context() context.Context { return l.baseCtx }

// WithLoop returns a copy of ctx that belongs to l, keeping ctx's values and
// cancellation: Spawn with it starts tasks on l. A nil ctx gives nil, which
// the call that uses it refuses (see duet.ErrNilContext).
func WithLoop(ctx context.Context, l *Loop) context.Context {
	if ctx == nil {
		return nil // a nil ctx stays nil: the call that uses it refuses it
	}
	return &loopCtx{Context: ctx, l: l}
}

// Time returns the loop's clock reading (Python: loop.time()).
func (l *Loop) Time() time.Time { return l.clock.Now() }

// IsRunning reports whether the loop is running.
func (l *Loop) IsRunning() bool { return l.state.Load() == loopRunning }

// IsClosed reports whether the loop is closed.
func (l *Loop) IsClosed() bool { return l.state.Load() == loopClosed }

// nilCtx is call's refusal of a nil context (see duet.ErrNilContext).
func nilCtx(call string) error { return fmt.Errorf("aio.%s: %w", call, duet.ErrNilContext) }

// errLoopClosed is what work scheduled on a closed loop fails with
// (Python: RuntimeError("Event loop is closed")).
var errLoopClosed = fmt.Errorf("aio: %w: the event loop is closed", duet.ErrClosed)

// nilCallback is the error of a Call* method given a nil function: it is
// refused at once, where Python would fail at the call, not later as a nil
// dereference on the loop.
func nilCallback(method string) error {
	return fmt.Errorf("aio: %s with a nil function", method)
}

// CallSoon schedules fn to run on the loop in a later step, after the
// callbacks already scheduled (FIFO), and returns its handle. It wakes a
// sleeping loop, so it may be called from any goroutine. On a closed loop
// it returns an error matching duet.ErrClosed, and a nil fn is an error;
// the handle is then nil and fn never runs (a nil *Handle's methods are
// safe). Python: loop.call_soon and loop.call_soon_threadsafe.
func (l *Loop) CallSoon(fn func()) (*Handle, error) {
	if fn == nil {
		return nil, nilCallback("CallSoon")
	}
	h := &Handle{fn: fn, loop: l}
	if !l.push(entry{h: h}) {
		return nil, errLoopClosed
	}
	return h, nil
}

// CallSoonThreadsafe is CallSoon, under Python's name: every duet loop
// method that schedules work is safe from any goroutine.
func (l *Loop) CallSoonThreadsafe(fn func()) (*Handle, error) { return l.CallSoon(fn) }

// push appends an item for the next iteration; false on a closed loop.
func (l *Loop) push(e entry) bool {
	l.mu.Lock()
	if l.state.Load() == loopClosed {
		l.mu.Unlock()
		return false
	}
	l.incoming = append(l.incoming, e)
	l.signalLocked()
	l.mu.Unlock()
	return true
}

func (l *Loop) signalLocked() {
	if l.sleeping {
		l.sleeping = false
		l.idler.wake()
	}
}

// Stop asks a running loop to return from RunForever after the callbacks
// of the current iteration (Python: loop.stop()). Stop before RunForever
// makes it run exactly one iteration.
func (l *Loop) Stop() {
	l.mu.Lock()
	l.stopping.Store(true)
	l.signalLocked()
	l.mu.Unlock()
}

// RunForever runs the loop until Stop is called. It must not be called from
// a task or a callback of a running loop (ErrNestedRun), and fails with
// ErrClosed on a closed loop and ErrLoopRunning on a running one.
func (l *Loop) RunForever() error {
	if err := l.enter(); err != nil {
		return err
	}
	defer l.leave()
	for {
		if l.runOnce() {
			return nil
		}
	}
}

func (l *Loop) enter() error {
	if insideLoop() {
		return ErrNestedRun
	}
	l.inspectMu.Lock() // a Snapshot reading the idle loop finishes first
	ok := l.state.CompareAndSwap(loopIdle, loopRunning)
	l.inspectMu.Unlock()
	if !ok {
		if l.state.Load() == loopClosed {
			return errLoopClosed
		}
		return ErrLoopRunning
	}
	if l.debug {
		l.startDebug()
	}
	if l.profile {
		l.unprofile = l.profileLoop()
	}
	return nil
}

func (l *Loop) leave() {
	if l.debug {
		l.stopDebug()
	}
	if l.unprofile != nil {
		l.unprofile()
		l.unprofile = nil
	}
	l.mu.Lock()
	l.stopping.Store(false)
	l.mu.Unlock()
	l.state.CompareAndSwap(loopRunning, loopIdle)
}

// runOnceName names runOnce's frames, which are on the stack of a loop's
// goroutine while it runs a callback.
var runOnceName = coro.FuncName((*Loop).runOnce)

// insideLoop reports whether the calling goroutine is running a loop: it
// is a task's coroutine, or a loop's goroutine running a callback. A
// context can tell the first only when the caller passes the task's own,
// so this looks at the goroutine's stack (see coro.Inside); it is meant for
// the entry points that run a loop, once a call.
func insideLoop() bool { return coro.Inside(runOnceName) }

// runOnce runs one iteration and reports whether the loop was stopped.
func (l *Loop) runOnce() (stopped bool) {
	l.iterations++
	ins := l.instr.Load()
	var idleFrom time.Time
	l.mu.Lock()
	l.flushEndedLocked()
	l.liveN = l.live.Len()
	if len(l.incoming) == 0 && !l.stopping.Load() {
		if ins != nil {
			idleFrom = time.Now()
		}
		l.waitLocked()
	} else if l.src.ioWaits.Load() > 0 {
		// Work is ready, but I/O may be too: poll without waiting, as
		// CPython selects with timeout 0 when _ready is not empty, so
		// that a loop kept busy by its tasks still sees its sockets.
		l.sleeping = true
		l.idler.idle(0, time.Time{})
		l.sleeping = false
	}
	l.ready, l.incoming = l.incoming, l.ready[:0]
	l.readyTimersLocked()
	l.mu.Unlock()
	if !idleFrom.IsZero() {
		idled(ins, idleFrom)
	}
	for i := range l.ready {
		l.pos = i
		e := l.ready[i]
		l.ready[i] = entry{}
		if e.t != nil {
			l.step(e.t)
		} else {
			l.runHandle(e.h)
		}
	}
	l.ready = l.ready[:0]
	if len(l.free) > coroKeep {
		l.trimCoros()
	}
	return l.stopping.Load()
}

// flushEndedLocked takes the tasks that finished since the last call out of
// the live list.
func (l *Loop) flushEndedLocked() {
	for i, t := range l.ended {
		l.live.Remove(t)
		l.ended[i] = nil
	}
	l.ended = l.ended[:0]
}

// waitLocked is the loop's wait when an iteration finds nothing ready: one
// idle call, for at most the time the loop's clock takes to reach the
// earliest timer, ended early by signalLocked. It is entered and left with
// l.mu held.
func (l *Loop) waitLocked() {
	due := l.nextTimerLocked()
	timeout := duet.NoTimeout
	if !due.IsZero() {
		timeout = sleepTime(l.clock, due)
	}
	l.sleeping = true
	l.idler.idle(timeout, due)
	l.sleeping = false
}

func (l *Loop) runHandle(h *Handle) {
	if !h.claim() {
		return
	}
	if h.w != nil {
		h.w.Wake()
		return
	}
	l.runCallback("Exception in callback", h.fn)
}

// runCallback runs fn as one callback of the loop (a scheduled one, or an
// I/O one inside the poller): under the debug checks, and with a panic
// reported under message rather than stopping the loop.
func (l *Loop) runCallback(message string, fn func()) {
	if l.debug {
		l.dbg.begin(nil)
		defer l.dbg.end()
	}
	defer func() {
		if r := recover(); r != nil {
			l.CallExceptionHandler(ExceptionContext{Message: message, Err: duet.NewPanicError(r)})
		}
	}()
	fn()
}

func (l *Loop) getCoro() *coro.Coro {
	if n := len(l.free); n > 0 {
		c := l.free[n-1]
		l.free = l.free[:n-1]
		return c
	}
	return coro.New()
}

func (l *Loop) putCoro(c *coro.Coro) {
	if !c.Retired() {
		l.free = append(l.free, c)
	}
}

// coroKeep is how many idle coroutines a loop keeps however few tasks it
// has; above it, it keeps as many as it has live tasks.
const coroKeep = 4096

// trimCoros closes some idle coroutines beyond what the loop can use soon.
// Idle coroutines make the next burst of tasks cheap (a fresh goroutine
// stack costs far more than a reused one), so they are shed gradually, a
// few per iteration, and only beyond the number of live tasks.
func (l *Loop) trimCoros() {
	keep := max(coroKeep, l.liveN)
	for n := 0; n < 256 && len(l.free) > keep; n++ {
		c := l.free[len(l.free)-1]
		l.free[len(l.free)-1] = nil
		l.free = l.free[:len(l.free)-1]
		c.Close()
	}
}

// Close closes a loop that is not running (ErrLoopRunning otherwise):
// pending callbacks are dropped, tasks still pending are destroyed (their
// functions unwind and the loop's exception handler hears of each, as
// Python's "Task was destroyed but it is pending!"), errors that no one
// retrieved are reported, and every later call fails with ErrClosed. Closing
// a closed loop does nothing.
func (l *Loop) Close() error {
	l.inspectMu.Lock()
	ok := l.state.CompareAndSwap(loopIdle, loopClosed)
	l.inspectMu.Unlock()
	if !ok {
		if l.state.Load() == loopClosed {
			return nil
		}
		return ErrLoopRunning
	}
	unregisterLoop(l)
	l.mu.Lock()
	l.incoming = nil
	l.timers = nil
	l.idler.close()
	l.flushEndedLocked()
	pending := l.live.All()
	l.mu.Unlock()
	l.closeChildren()
	for _, t := range pending {
		if t.isDone() {
			continue
		}
		l.CallExceptionHandler(ExceptionContext{Message: "Task was destroyed but it is pending!", Task: t.Name()})
		if t.coro == nil {
			t.body.destroyUnstarted() // never ran: complete its future here
			continue
		}
		c := t.coro
		t.coro = nil
		c.Close() // unwinds the suspended function, which completes the future
	}
	for _, c := range l.free {
		c.Close()
	}
	l.free = nil
	l.reportFailures()
	l.exec.mu.Lock()
	p, owned := l.exec.pool, l.exec.owned
	l.exec.mu.Unlock()
	if p != nil && owned {
		p.Shutdown(false, false) // Python: close() shuts the default executor down without waiting
	}
	return nil
}

// Tasks returns the loop's tasks that have not finished, in creation order
// (Python: asyncio.all_tasks). Each is the task's own handle (see AnyTask):
// it may be cancelled, or awaited after a type assertion to its *Task[T].
// Safe from any goroutine; tasks may finish or start as soon as it returns.
func (l *Loop) Tasks() []AnyTask {
	l.mu.Lock()
	ts := l.live.All()
	l.mu.Unlock()
	out := make([]AnyTask, 0, len(ts))
	for _, t := range ts {
		if !t.isDone() {
			out = append(out, t.body.handle())
		}
	}
	return out
}
