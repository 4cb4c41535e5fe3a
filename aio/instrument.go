package aio

import (
	"slices"
	"time"
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

// taskStats are what a timed loop (one with an instrument) measures of a
// task; untimed tasks carry none.
type taskStats struct {
	born time.Time
	held time.Duration
}

// stepTimed is step's instrumented path.
func (l *Loop) stepTimed(c *task, ins []Instrument) bool {
	h := c.body.handle()
	if c.stats == nil {
		c.stats = &taskStats{born: time.Now()}
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
	done := l.resume(c)
	d := time.Since(t0)
	c.stats.held += d
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
