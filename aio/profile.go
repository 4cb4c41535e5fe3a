package aio

import (
	"context"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
)

// WithProfileLabels makes the loop's tasks visible to Go's profilers by
// name. Each task's goroutine carries the pprof labels duet.task (its
// name), duet.task_id and duet.loop (the loop's ID) from its first step on,
// so that CPU, goroutine and blocking profiles attribute samples to tasks:
//
//	go tool pprof -tagfocus=duet.task=fetch cpu.pprof
//
// and, while a runtime/trace is being recorded (trace.IsEnabled when the
// task takes its first step), each task is a trace task named after it
// and each of its steps a region "duet.step", which `go tool trace` shows
// per task. The loop's own goroutine carries duet.loop while it runs.
//
// The cost is one labels context per task, made at its first step, and
// nothing per step unless a trace is being recorded; without the option
// tasks carry no labels (a task's goroutine is a coroutine the loop reuses,
// so the labels come and go with the tasks it runs).
func WithProfileLabels() Option { return func(l *Loop) { l.profile = true } }

// taskProf is a profiled task's labels and trace state.
type taskProf struct {
	labels context.Context
	trace  *trace.Task
	region *trace.Region
}

// profileStart runs on the task's goroutine before its function: it sets
// the labels and opens the task's trace task and first region.
func (c *task) profileStart() {
	p := &taskProf{}
	p.labels = pprof.WithLabels(context.Background(), pprof.Labels(
		"duet.task", c.Name(),
		"duet.task_id", strconv.FormatUint(c.id, 10),
		"duet.loop", strconv.FormatUint(c.loop.id, 10),
	))
	pprof.SetGoroutineLabels(p.labels)
	if trace.IsEnabled() {
		var ctx context.Context
		ctx, p.trace = trace.NewTask(p.labels, c.Name())
		p.labels = ctx
		p.region = trace.StartRegion(ctx, "duet.step")
	}
	c.extension().prof = p
}

// profileSuspend closes the step's region before the task suspends.
func (c *task) profileSuspend() {
	if p := c.ext.prof; p != nil && p.region != nil {
		p.region.End()
		p.region = nil
	}
}

// profileResume opens the next step's region.
func (c *task) profileResume() {
	if p := c.ext.prof; p != nil && p.trace != nil {
		p.region = trace.StartRegion(p.labels, "duet.step")
	}
}

// profileEnd closes what is open when the task's function has returned,
// and takes its labels off the coroutine's goroutine.
func (c *task) profileEnd() {
	if c.ext == nil || c.ext.prof == nil {
		return
	}
	p := c.ext.prof
	c.profileSuspend()
	if p.trace != nil {
		p.trace.End()
	}
	pprof.SetGoroutineLabels(context.Background())
	c.ext.prof = nil
}

// profileLoop labels the loop's own goroutine for the time it runs.
func (l *Loop) profileLoop() (restore func()) {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels("duet.loop", strconv.FormatUint(l.id, 10)))
	pprof.SetGoroutineLabels(ctx)
	return func() { pprof.SetGoroutineLabels(context.Background()) }
}
