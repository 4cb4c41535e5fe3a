package inspect

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/duet-go/duet/aio"
)

// Flag is one finding of the advisor: a task whose measured steps say it
// belongs on another model, with the evidence.
type Flag struct {
	Loop     uint64 `json:"loop"`
	Task     uint64 `json:"task"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`     // "cpu-bound"
	Advice   string `json:"advice"`   // what to do
	Evidence string `json:"evidence"` // what was measured
}

func (f Flag) String() string {
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
	loop  uint64
	mu    sync.Mutex
	tasks map[uint64]*stepStats
}

func newAdvisor(loop uint64) *advisor {
	return &advisor{loop: loop, tasks: map[uint64]*stepStats{}}
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
		if share >= busyShare && s.max >= longStep {
			out = append(out, Flag{
				Loop: a.loop, Task: id, Name: s.name, Kind: "cpu-bound",
				Advice:   "run the computation with aio.ToThread or on a thread.Pool: every other task of the loop waits while it steps",
				Evidence: fmt.Sprintf("its %d steps held the loop %v of its %v (%.0f%%), the longest %v", s.steps, s.held.Round(time.Microsecond), life.Round(time.Millisecond), 100*share, s.max.Round(time.Microsecond)),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Task < out[j].Task })
	return out
}
