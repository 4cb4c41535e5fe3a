package inspect

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/duet-go/duet/aio"
)

// Flag is one finding of the advisor: a task whose measured steps say it
// belongs on another model, with the evidence.
type Flag struct {
	Loop     uint64 `json:"loop,omitempty"`
	Task     uint64 `json:"task,omitempty"`
	Pool     string `json:"pool,omitempty"` // a pool's flag: its name (Loop and Task are 0)
	Name     string `json:"name"`           // the task's or the pool's
	Kind     string `json:"kind"`           // "cpu-bound" or "blocking" (a task), "waiting pool"
	Advice   string `json:"advice"`         // what to do
	Evidence string `json:"evidence"`       // what was measured
}

func (f Flag) String() string {
	if f.Pool != "" {
		return fmt.Sprintf("pool %q is a %s: %s (%s)", f.Pool, f.Kind, f.Advice, f.Evidence)
	}
	return fmt.Sprintf("loop %d task %q (%d) is %s: %s (%s)", f.Loop, f.Name, f.Task, f.Kind, f.Advice, f.Evidence)
}

// Thresholds of the advisor: a task is CPU-bound when its steps held the
// loop for at least busyShare of its life so far and one of them lasted at
// least longStep (a task of many short steps that adds up is busy but
// fair: other tasks run between its steps).
const (
	busyShare = 0.5
	longStep  = 10 * time.Millisecond
	minLife   = 50 * time.Millisecond // too young to judge before this
	minSteps  = 3                     // nor before this many steps (the slow-step check sees a blocking one first)
)

// stepStats is what the advisor's instrument measures of one task.
type stepStats struct {
	name  string
	first time.Time
	steps int
	held  time.Duration
	max   time.Duration
}

// advisor is the Instrument a Monitor installs on each loop it watches.
type advisor struct {
	aio.NopInstrument
	loop     uint64
	mu       sync.Mutex
	tasks    map[uint64]*stepStats
	blocking map[uint64]Flag // tasks caught blocking the loop in a Go call, until they exit
}

func newAdvisor(loop uint64) *advisor {
	return &advisor{loop: loop, tasks: map[uint64]*stepStats{}, blocking: map[uint64]Flag{}}
}

// computing are the goroutine states of a step that computes rather than
// blocks (the runtime's words in a stack dump).
var computing = map[string]bool{"running": true, "runnable": true, "": true}

// sawStep looks at a step that has held the loop for long (StepNow): one
// whose goroutine is blocked, rather than computing, is a blocking Go call
// made on the loop. It reports the flag when it is new.
func (a *advisor) sawStep(st aio.StepInfo) (Flag, bool) {
	if computing[st.State] {
		return Flag{}, false // the cpu-bound rule reads its steps' times
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, seen := a.blocking[st.Task]; seen {
		return Flag{}, false
	}
	f := Flag{
		Loop: a.loop, Task: st.Task, Name: st.Name, Kind: "blocking",
		Advice: "the step calls a blocking Go API on the loop, which stops every other task: use the duet counterpart (duet.Sleep, aio.Dial, a duet.Lock...) or aio.ToThread",
		Evidence: fmt.Sprintf("a step held the loop %v while its goroutine was in %q at %s",
			st.Held.Round(time.Millisecond), st.State, topFrame(st.Stack)),
	}
	a.blocking[st.Task] = f
	return f, true
}

// topFrame is the innermost function of a goroutine's stack dump that is
// not the runtime's, for evidence.
func topFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i := 1; i < len(lines); i += 2 {
		fn := strings.TrimSpace(lines[i])
		if j := strings.LastIndexByte(fn, '('); j > 0 {
			fn = fn[:j]
		}
		if fn != "" && !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "internal/") {
			return fn
		}
	}
	return "an unknown frame"
}

func (a *advisor) StepEnded(t aio.AnyTask, held time.Duration) {
	a.mu.Lock()
	s := a.tasks[t.ID()]
	if s == nil {
		s = &stepStats{name: t.Name(), first: time.Now().Add(-held)}
		a.tasks[t.ID()] = s
	}
	s.steps++
	s.held += held
	s.max = max(s.max, held)
	a.mu.Unlock()
}

func (a *advisor) TaskExited(t aio.AnyTask) {
	a.mu.Lock()
	delete(a.tasks, t.ID())
	delete(a.blocking, t.ID())
	a.mu.Unlock()
}

// flags returns the advisor's findings now, most loop time first.
func (a *advisor) flags(now time.Time) []Flag {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Flag
	for id, s := range a.tasks {
		life := now.Sub(s.first)
		if life < minLife {
			continue
		}
		share := float64(s.held) / float64(life)
		if _, blocks := a.blocking[id]; blocks {
			continue // it holds the loop by blocking, not computing: that flag says so
		}
		if share >= busyShare && s.max >= longStep && s.steps >= minSteps {
			out = append(out, Flag{
				Loop: a.loop, Task: id, Name: s.name, Kind: "cpu-bound",
				Advice:   "run the computation with aio.ToThread or on a thread.Pool: every other task of the loop waits while it steps",
				Evidence: fmt.Sprintf("its %d steps held the loop %v of its %v (%.0f%%), the longest %v", s.steps, s.held.Round(time.Microsecond), life.Round(time.Millisecond), 100*share, s.max.Round(time.Microsecond)),
			})
		}
	}
	for _, f := range a.blocking {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Task != out[j].Task {
			return out[i].Task < out[j].Task
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}
