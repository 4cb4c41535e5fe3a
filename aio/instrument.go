package aio

import (
	"slices"
	"time"

	"github.com/duet-go/duet/internal/stacks"
)

// Instrument hears what a loop does, for tools that measure or trace it
// (Python: none built in; Trio: trio.abc.Instrument). Its methods are
// called on the loop's goroutine, between or around steps, so they must be
// quick and must not block; what they share with other goroutines needs
// their own locks. A panic in one is not recovered: it is a bug of the
// instrument. Embed NopInstrument to implement only some of them.
//
// While at least one instrument is installed the loop reads the clock
// around every step (that is the price of StepEnded's duration) and keeps
// each task's creation time and time on the loop for Snapshot.
type Instrument interface {
	// TaskSpawned is called when a task is about to take its first step.
	TaskSpawned(t AnyTask)
	// StepStarted is called before each step of a task.
	StepStarted(t AnyTask)
	// StepEnded is called after each step with the time it held the loop.
	StepEnded(t AnyTask, held time.Duration)
	// TaskExited is called once a task's function has returned.
	TaskExited(t AnyTask)
	// LoopIdled is called after the loop waited for work (timers, I/O,
	// wake-ups) for idle.
	LoopIdled(idle time.Duration)
}

// NopInstrument implements every Instrument method as doing nothing.
type NopInstrument struct{}

func (NopInstrument) TaskSpawned(AnyTask)              {}
func (NopInstrument) StepStarted(AnyTask)              {}
func (NopInstrument) StepEnded(AnyTask, time.Duration) {}
func (NopInstrument) TaskExited(AnyTask)               {}
func (NopInstrument) LoopIdled(time.Duration)          {}

// WithInstrument installs i on the loop from the start.
func WithInstrument(i Instrument) Option {
	return func(l *Loop) { l.AddInstrument(i) }
}

// AddInstrument installs i; it hears events from the loop's next step on.
// Adding one that is installed already does nothing. Safe from any
// goroutine.
func (l *Loop) AddInstrument(i Instrument) {
	if i == nil {
		return
	}
	l.instrMu.Lock()
	defer l.instrMu.Unlock()
	cur := l.instr.Load()
	if cur != nil && slices.Contains(*cur, i) {
		return
	}
	var next []Instrument
	if cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, i)
	l.instr.Store(&next)
}

// RemoveInstrument uninstalls i and reports whether it was installed. Safe
// from any goroutine; from another goroutine than the loop's, i may still
// hear the event of a step that was running.
func (l *Loop) RemoveInstrument(i Instrument) bool {
	l.instrMu.Lock()
	defer l.instrMu.Unlock()
	cur := l.instr.Load()
	if cur == nil {
		return false
	}
	k := slices.Index(*cur, i)
	if k < 0 {
		return false
	}
	if len(*cur) == 1 {
		l.instr.Store(nil)
		return true
	}
	next := slices.Delete(slices.Clone(*cur), k, k+1)
	l.instr.Store(&next)
	return true
}

// taskExt is what a task carries only when its loop inspects or profiles
// it: the timings of a timed loop (one with an instrument), its
// goroutine, its profiling state. Other tasks carry a nil pointer.
type taskExt struct {
	born time.Time     // timed: when it took its first step
	held time.Duration // timed: the time its steps held the loop
	goid int64         // timed: its coroutine's goroutine, for StepStack
	prof *taskProf     // WithProfileLabels
}

// extension returns c's taskExt, made on first use.
func (c *task) extension() *taskExt {
	if c.ext == nil {
		c.ext = &taskExt{}
	}
	return c.ext
}

// stepTimed is step's instrumented path.
func (l *Loop) stepTimed(c *task, ins []Instrument) bool {
	h := c.body.handle()
	if x := c.extension(); x.born.IsZero() {
		x.born = time.Now()
	}
	if c.steps == 0 {
		for _, i := range ins {
			i.TaskSpawned(h)
		}
	}
	for _, i := range ins {
		i.StepStarted(h)
	}
	t0 := time.Now()
	l.stepGoid.Store(c.ext.goid) // 0 for a first step: the coroutine stores its own (call)
	l.stepSince.Store(t0.UnixNano())
	done := l.resume(c)
	l.stepSince.Store(0)
	d := time.Since(t0)
	c.ext.held += d
	if d > SlowStep {
		l.slowSteps++
	}
	l.maxStep = max(l.maxStep, d)
	for _, i := range ins {
		i.StepEnded(h, d)
	}
	if done {
		for _, i := range ins {
			i.TaskExited(h)
		}
	}
	return done
}

// idled tells the instruments how long the loop waited.
func idled(ins *[]Instrument, since time.Time) {
	d := time.Since(since)
	for _, i := range *ins {
		i.LoopIdled(d)
	}
}

// StepInfo is the step holding a loop now, as StepNow sees it.
type StepInfo struct {
	Task    uint64        // the task's ID
	Name    string        // the task's name
	Started time.Time     // when the step began
	Held    time.Duration // how long it has held the loop so far
	// State is the state of the step's goroutine in the runtime's words:
	// "running" or "runnable" (computing), or what it blocks in
	// ("syscall", "IO wait", "sleep", "semacquire", "sync.Mutex.Lock",
	// "chan receive", "select", ...); "" when unknown.
	State string
	Stack string // the goroutine's stack, "" when unknown
}

// StepNow reports the task step that has held the loop for at least min,
// with its goroutine's state and stack: evidence of a step that computes
// or blocks the loop (a blocking Go call where a duet one was meant). Only
// a timed loop (an Instrument installed before the task started) knows;
// others report false, as does a loop with no step that long. Safe from
// any goroutine: the step may end while StepNow looks, and the stack is
// then of whatever the goroutine does next. Reading the stack costs a dump
// of every goroutine's (runtime.Stack), so call it rarely.
func (l *Loop) StepNow(min time.Duration) (StepInfo, bool) {
	since := l.stepSince.Load()
	t := l.running.Load()
	if since == 0 || t == nil {
		return StepInfo{}, false
	}
	started := time.Unix(0, since)
	held := time.Since(started)
	if held < min {
		return StepInfo{}, false
	}
	info := StepInfo{Task: t.id, Name: t.Name(), Started: started, Held: held}
	if g := l.stepGoid.Load(); g != 0 {
		if st := stackOf(g); st != nil {
			info.Stack, info.State = string(st), stacks.State(string(st))
		}
	}
	return info, true
}
