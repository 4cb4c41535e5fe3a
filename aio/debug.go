package aio

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duet-go/duet/internal/stacks"
)

// debugState watches the loop for steps that hold it too long, capturing
// the stack of the goroutine that blocks it while it still blocks (Python's
// debug mode can only name the step afterwards).
type debugState struct {
	l      *Loop
	mu     sync.Mutex
	start  time.Time
	task   *task
	goid   int64
	seq    uint64
	warned uint64
	// goids maps each started, unfinished task to the goroutine (its
	// coroutine's) that runs it. It lives here rather than in the task so
	// that tasks stay small when debug mode is off.
	goids   map[*task]int64
	stop    chan struct{}
	stopped chan struct{}
}

func (l *Loop) startDebug() {
	d := &debugState{l: l, stop: make(chan struct{}), stopped: make(chan struct{}), goids: map[*task]int64{}}
	if l.dbg != nil {
		d.goids = l.dbg.goids // tasks suspended across RunUntilComplete calls
	}
	l.dbg = d
	go d.watch()
}

func (l *Loop) stopDebug() {
	close(l.dbg.stop)
	<-l.dbg.stopped
}

// debugHooks puts the debug checks of task steps on the loop's instrument
// seam (WithDebug installs it): the slow-step watch of each step, and the
// goroutine of each task for the check of foreign waits. Callbacks, which
// instruments do not hear, are watched by runCallback itself.
type debugHooks struct {
	NopInstrument
	l *Loop
}

// coreOf returns the task behind a handle the loop gave an instrument.
func coreOf(t AnyTask) *task { return t.(interface{ taskCore() *task }).taskCore() }

func (h debugHooks) StepStarted(t AnyTask) { h.l.dbg.begin(coreOf(t)) }

func (h debugHooks) StepEnded(t AnyTask, _ time.Duration) {
	d := h.l.dbg
	d.end()
	if c := coreOf(t); d.goidOf(c) == 0 && !c.isDone() {
		// The coroutine noted its goroutine during its first step.
		d.setGoid(c, h.l.stepGoid.Load())
	}
}

func (h debugHooks) TaskExited(t AnyTask) { h.l.dbg.setGoid(coreOf(t), 0) }

func (d *debugState) begin(t *task) {
	d.mu.Lock()
	d.seq++
	d.start = time.Now()
	d.task = t
	d.goid = 0
	if t == nil {
		d.goid = curGoid()
	}
	d.mu.Unlock()
}

func (d *debugState) end() {
	d.mu.Lock()
	d.start = time.Time{}
	d.task = nil
	d.mu.Unlock()
}

// setGoid records the goroutine running t; 0 forgets t.
func (d *debugState) setGoid(t *task, g int64) {
	d.mu.Lock()
	if g == 0 {
		delete(d.goids, t)
	} else {
		d.goids[t] = g
	}
	d.mu.Unlock()
}

func (d *debugState) goidOf(t *task) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.goids[t]
}

// debugCheckGoroutine reports false, after telling the exception handler,
// when the caller is not t's goroutine.
func (l *Loop) debugCheckGoroutine(t *task) bool {
	g := curGoid()
	tg := l.dbg.goidOf(t)
	if tg == 0 && l.running.Load() == t {
		tg = l.stepGoid.Load() // its first step: the coroutine noted its goroutine there
	}
	if tg != 0 && g != tg {
		l.CallExceptionHandler(ExceptionContext{
			Message: "Non-thread-safe operation: task " + t.Name() + "'s context used to wait from goroutine " + strconv.FormatInt(g, 10) + ", which is not the task; give the goroutine a context of its own (thread.WithIdentity(ctx, name) keeps the values and hides the task)",
			Task:    t.Name(),
			Stack:   stackOf(g),
		})
		return false
	}
	return true
}

func (d *debugState) watch() {
	defer close(d.stopped)
	tick := time.NewTicker(d.l.slow / 4)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
		}
		d.mu.Lock()
		start, t, seq, goid := d.start, d.task, d.seq, d.goid
		slow := !start.IsZero() && time.Since(start) > d.l.slow && d.warned != seq
		if slow {
			d.warned = seq
			if t != nil {
				if goid = d.goids[t]; goid == 0 {
					goid = d.l.stepGoid.Load() // its first step
				}
			}
		}
		d.mu.Unlock()
		if !slow {
			continue
		}
		name := "callback"
		if t != nil {
			name = "task " + t.Name()
		}
		var stack []byte
		if goid != 0 {
			stack = stackOf(goid)
		}
		d.l.CallExceptionHandler(ExceptionContext{
			Message: "Executing " + name + " has held the loop for more than " + d.l.slow.String() + " (a blocking call? use aio.ToThread)",
			Task:    taskName(t),
			Stack:   stack,
		})
	}
}

func taskName(t *task) string {
	if t == nil {
		return ""
	}
	return t.Name()
}

// curGoid reads the current goroutine's id from its stack header. It is slow
// and only used in debug mode.
func curGoid() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		id, _ := strconv.ParseInt(string(b[:i]), 10, 64)
		return id
	}
	return 0
}

// stackOf returns the stack of goroutine id, or nil.
func stackOf(id int64) []byte {
	prefix := "goroutine " + strconv.FormatInt(id, 10) + " "
	for _, g := range stacks.All() {
		if strings.HasPrefix(g, prefix) {
			return []byte(g)
		}
	}
	return nil
}
