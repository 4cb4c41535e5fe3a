package aio

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/internal/stacks"
	"github.com/duet-go/duet/internal/weakreg"
)

// loops lists the process's loops that are not closed, for Loops.
var (
	loops   weakreg.List[Loop]
	loopSeq atomic.Uint64
)

func registerLoop(l *Loop) {
	l.id = loopSeq.Add(1)
	loops.Add(l)
}

func unregisterLoop(l *Loop) { loops.Remove(l) }

// Loops returns the loops of the process that are not closed, in the order
// they were made (Python has one loop per thread, found with
// asyncio.get_running_loop; Go has no thread identity, so inspection tools
// start here). A loop dropped without Close is not kept alive by being
// listed. Safe from any goroutine.
func Loops() []*Loop { return loops.All(nil) }

// ID returns the loop's number, unique in the process and never reused.
func (l *Loop) ID() uint64 { return l.id }

// TaskState is where a task is in its life, as a snapshot sees it.
type TaskState string

const (
	TaskReady   TaskState = "ready"   // scheduled: its next step runs in an iteration soon
	TaskRunning TaskState = "running" // its step is running now (the snapshot's caller, or a nested step)
	TaskWaiting TaskState = "waiting" // suspended in a wait (see TaskInfo.WaitingOn)
)

// TaskInfo is one unfinished task in a LoopInfo.
type TaskInfo struct {
	ID     uint64    `json:"id"`
	Name   string    `json:"name"`
	State  TaskState `json:"state"`
	Parent uint64    `json:"parent,omitempty"` // the task whose step spawned it; 0 for main and tasks spawned from goroutines
	// WaitingOn says what a waiting task waits in: the primitive and
	// operation ("Queue.Get", "Lock.Acquire", "Sleep", "Await",
	// "Stream.Read"), and what it can say of the object (a sleep's
	// deadline, a stream's peer, an awaited task's name).
	WaitingOn string `json:"waiting_on,omitempty"`
	// Awaits is the task whose outcome a waiting task awaits (Await, or a
	// combinator on one task), 0 for none: the edges of the await graph
	// that `python -m asyncio pstree` prints.
	Awaits uint64 `json:"awaits,omitempty"`
	Steps  uint64 `json:"steps"` // steps taken so far
	// Created and OnLoop (the time its steps held the loop) are measured
	// only on a loop with an Instrument installed, since reading the clock
	// at every step is not free; zero otherwise.
	Created time.Time     `json:"created,omitzero"`
	OnLoop  time.Duration `json:"on_loop_ns,omitempty"`
	// Stack is the task's goroutine's stack, with WithStacks: where a
	// waiting task waits, in its own code.
	Stack string `json:"stack,omitempty"`
}

// SnapshotOption configures Snapshot.
type SnapshotOption func(*snapshotOpts)

type snapshotOpts struct{ stacks bool }

// WithStacks adds each task's stack to the snapshot. It costs a dump of
// every goroutine's stack (runtime.Stack), taken in the snapshot's step,
// so the loop is held for as long as that takes: ask for it when looking
// at one program, not in a poll every second of a large one.
func WithStacks() SnapshotOption { return func(o *snapshotOpts) { o.stacks = true } }

// LoopInfo is a snapshot of a loop: its figures and its unfinished tasks.
type LoopInfo struct {
	ID         uint64        `json:"id"`
	Running    bool          `json:"running"`
	Timed      bool          `json:"timed"`       // an Instrument is installed: the timed figures below are measured
	Iterations uint64        `json:"iterations"`  // iterations run so far
	Ready      int           `json:"ready"`       // callbacks and steps queued for the next iteration
	Timers     int           `json:"timers"`      // scheduled timers (sleeps, CallLater), cancelled ones not yet swept included
	IOWaits    int64         `json:"io_waits"`    // registered I/O waits (sockets and fds the loop watches)
	Steps      uint64        `json:"steps"`       // task steps run so far
	SlowSteps  uint64        `json:"slow_steps"`  // timed: steps that held the loop longer than SlowStep
	MaxStep    time.Duration `json:"max_step_ns"` // timed: the longest step so far
	Tasks      []TaskInfo    `json:"tasks"`       // in creation order
	Taken      time.Time     `json:"taken"`
}

// SlowStep is the step duration above which a timed loop counts a step as
// slow (LoopInfo.SlowSteps): asyncio's default slow_callback_duration.
const SlowStep = 100 * time.Millisecond

// Snapshot returns the loop's figures and its unfinished tasks. On a
// running loop it is taken by a callback of the loop, between two steps,
// so that it sees a consistent state: the call then waits for that
// callback, at most until ctx ends (and, from a task of the loop, the
// task suspends meanwhile). On a loop that is not running it is read at
// once. Copying costs about what a step of a few microseconds per
// thousand tasks does; nothing else of the loop waits.
func (l *Loop) Snapshot(ctx context.Context, opts ...SnapshotOption) (LoopInfo, error) {
	if ctx == nil {
		return LoopInfo{}, nilCtx("Loop.Snapshot")
	}
	var o snapshotOpts
	for _, opt := range opts {
		opt(&o)
	}
	for {
		l.inspectMu.Lock()
		if l.state.Load() != loopRunning {
			info := l.snapshot(o)
			l.inspectMu.Unlock()
			return info, nil
		}
		l.inspectMu.Unlock()
		if t, ok := park.Current(ctx).(*task); ok && t.loop == l {
			return l.snapshot(o), nil // the caller's step is the callback
		}
		var info LoopInfo
		done := make(chan struct{})
		h, err := l.CallSoon(func() { info = l.snapshot(o); close(done) })
		if err != nil {
			return LoopInfo{}, err
		}
		// A loop that stops running before the callback (RunUntilComplete
		// returning) would hold it until its next run: look again then.
		tick := time.NewTicker(10 * time.Millisecond)
		for waiting := true; waiting; {
			select {
			case <-done:
				tick.Stop()
				return info, nil
			case <-ctx.Done():
				tick.Stop()
				h.Cancel()
				return LoopInfo{}, fmt.Errorf("aio: Loop.Snapshot: %w", context.Cause(ctx))
			case <-tick.C:
				if l.state.Load() != loopRunning && h.Cancel() {
					waiting = false
				}
			}
		}
		tick.Stop()
	}
}

// snapshot copies the loop's state. It runs on the loop's goroutine, or
// with inspectMu held while the loop is not running.
func (l *Loop) snapshot(o snapshotOpts) LoopInfo {
	l.mu.Lock()
	info := LoopInfo{
		ID:         l.id,
		Running:    l.state.Load() == loopRunning,
		Timed:      l.instr.Load() != nil,
		Iterations: l.iterations,
		Ready:      len(l.incoming),
		Timers:     len(l.timers),
		IOWaits:    l.src.ioWaits.Load(),
		Steps:      l.steps,
		SlowSteps:  l.slowSteps,
		MaxStep:    l.maxStep,
		Taken:      time.Now(),
	}
	ts := l.live.All()
	l.mu.Unlock()
	running := l.running.Load()
	info.Tasks = make([]TaskInfo, 0, len(ts))
	// Default names ("Task-N") are made into one string and sliced from
	// it: a snapshot of 100,000 unnamed tasks then allocates one string,
	// not 100,000 (garbage that makes the collector walk every suspended
	// task's stack once more).
	var names []byte
	var ends []int
	for _, t := range ts {
		if _, named := t.parentCtx.(taskNamer); t.name == "" && !named && !t.isDone() {
			names = strconv.AppendUint(append(names, "Task-"...), t.id, 10)
			ends = append(ends, len(names))
		}
	}
	all, k, from := string(names), 0, 0
	for _, t := range ts {
		if t.isDone() {
			continue
		}
		name := t.name
		if n, ok := t.parentCtx.(taskNamer); ok && name == "" {
			name = n.taskName()
		} else if name == "" && k < len(ends) {
			name, from, k = all[from:ends[k]], ends[k], k+1
		}
		ti := TaskInfo{ID: t.id, Name: name, Parent: t.parent, Steps: t.steps}
		if x := t.ext; x != nil {
			ti.Created, ti.OnLoop = x.born, x.held
		}
		switch w := t.waiter.Load(); {
		case t == running:
			ti.State = TaskRunning
		case w != nil && w.State() == park.Pending:
			ti.State = TaskWaiting
			ti.WaitingOn, ti.Awaits = describeWait(w)
		default:
			ti.State = TaskReady
		}
		info.Tasks = append(info.Tasks, ti)
	}
	if o.stacks {
		addStacks(ts, info.Tasks)
	}
	return info
}

// addStacks fills in the tasks' stacks from one dump of every goroutine's.
// A suspended task's coroutine is found by its suspend frame, whose
// argument is the *task: no goroutine ids are needed, so it works on any
// loop. A task that has not started has no stack yet, and the running one
// (the snapshot's caller) none in the dump's terms.
func addStacks(ts []*task, infos []TaskInfo) {
	byAddr := make(map[string]uint64, len(ts))
	for _, t := range ts {
		byAddr[fmt.Sprintf("%p", t)] = t.id
	}
	byTask := make(map[uint64]string, len(ts))
	const body = "github.com/duet-go/duet/aio.(*task).suspend("
	for _, g := range stacks.All() {
		i := strings.Index(g, body)
		if i < 0 {
			continue
		}
		addr, _, _ := strings.Cut(g[i+len(body):], ")")
		if id, ok := byAddr[addr]; ok {
			byTask[id] = g
		}
	}
	for i := range infos {
		infos[i].Stack = byTask[infos[i].ID]
	}
}

// describeWait says what w waits on, and which task when it awaits one.
func describeWait(w *park.Waiter) (string, uint64) {
	op := "a wait"
	if w.What != 0 {
		op = w.What.Op()
	}
	switch on := w.On.(type) {
	case *Handle:
		return fmt.Sprintf("%s until %s", op, on.when.Format("15:04:05.000")), 0
	case *Stream:
		if a := on.RemoteAddr(); a != nil {
			return op + " " + a.String(), 0
		}
	case futhook.TaskProducer:
		if t, ok := on.Producer().(*task); ok {
			return fmt.Sprintf("%s %s (task %d)", op, t.Name(), t.id), t.id
		}
	}
	return op, 0
}
