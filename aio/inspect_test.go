package aio_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func taskNamed(t *testing.T, info aio.LoopInfo, name string) aio.TaskInfo {
	t.Helper()
	for _, ti := range info.Tasks {
		if ti.Name == name {
			return ti
		}
	}
	t.Fatalf("no task %q in snapshot %+v", name, info.Tasks)
	return aio.TaskInfo{}
}

// A snapshot names what each task waits in, who spawned it and whom it
// awaits, whether it is taken from a task of the loop or from a goroutine
// (then by a callback between two steps).
func TestSnapshotWaitsAndTree(t *testing.T) {
	var lock duet.Lock
	var ev duet.Event
	q := duet.NewQueue[int](0)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		if err := lock.Acquire(ctx); err != nil {
			return err
		}
		sleeper := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, duet.Sleep(ctx, time.Hour)
		}, aio.WithName("sleeper"))
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, lock.Acquire(ctx) }, aio.WithName("locker"))
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) }, aio.WithName("getter"))
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, ev.Wait(ctx) }, aio.WithName("eventer"))
		aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			child := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 0, duet.Sleep(ctx, time.Hour)
			}, aio.WithName("child"))
			return duet.Await(ctx, child)
		}, aio.WithName("parent"))
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return duet.Await(ctx, sleeper) }, aio.WithName("awaiter"))
		for range 2 { // every task takes its first step, then "parent"'s child
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, nil }, aio.WithName("ready"))
		l := aio.LoopOf(ctx)
		check := func(how string, info aio.LoopInfo, mainState aio.TaskState) {
			t.Helper()
			if info.ID != l.ID() || !info.Running {
				t.Errorf("%s: loop %d running %v, want %d running", how, info.ID, info.Running, l.ID())
			}
			main := taskNamed(t, info, "main")
			if main.State != mainState {
				t.Errorf("%s: main is %s, want %s", how, main.State, mainState)
			}
			for name, want := range map[string]string{
				"sleeper": "Sleep until ",
				"locker":  "Lock.Acquire",
				"getter":  "Queue.Get",
				"eventer": "Event.Wait",
				"parent":  "Await child (task ",
				"child":   "Sleep until ",
				"awaiter": "Await sleeper (task ",
			} {
				ti := taskNamed(t, info, name)
				if ti.State != aio.TaskWaiting || !strings.HasPrefix(ti.WaitingOn, want) {
					t.Errorf("%s: %s is %s on %q, want waiting on %q...", how, name, ti.State, ti.WaitingOn, want)
				}
				if ti.Steps != 1 {
					t.Errorf("%s: %s took %d steps, want 1", how, name, ti.Steps)
				}
			}
			if p, c := taskNamed(t, info, "parent"), taskNamed(t, info, "child"); c.Parent != p.ID || p.Awaits != c.ID || p.Parent != main.ID {
				t.Errorf("%s: parent %+v child %+v: want child.Parent = parent, parent awaits child, main spawned parent", how, p, c)
			}
			if a, s := taskNamed(t, info, "awaiter"), taskNamed(t, info, "sleeper"); a.Awaits != s.ID {
				t.Errorf("%s: awaiter awaits %d, want sleeper %d", how, a.Awaits, s.ID)
			}
			if info.Timed || taskNamed(t, info, "sleeper").OnLoop != 0 {
				t.Errorf("%s: an untimed loop reports timings: %+v", how, info)
			}
		}
		// From the main task: the snapshot is taken in its own step.
		info, err := l.Snapshot(ctx)
		if err != nil {
			return err
		}
		check("from a task", info, aio.TaskRunning)
		if ti := taskNamed(t, info, "ready"); ti.State != aio.TaskReady || ti.Steps != 0 {
			t.Errorf("ready task: %+v, want ready, no step", ti)
		}
		if ti := taskNamed(t, info, "getter"); ti.Stack != "" {
			t.Errorf("stack without WithStacks: %q", ti.Stack)
		}
		withStacks, err := l.Snapshot(ctx, aio.WithStacks())
		if err != nil {
			return err
		}
		for name, want := range map[string]string{"getter": ").Get(", "locker": "Lock).Acquire", "child": "duet.Sleep"} {
			if st := taskNamed(t, withStacks, name).Stack; !strings.Contains(st, want) || !strings.Contains(st, "TestSnapshotWaitsAndTree") {
				t.Errorf("%s's stack lacks %q and the test's frame:\n%s", name, want, st)
			}
		}
		// From a goroutine, while main awaits it: between two steps.
		f := duet.NewFuture[aio.LoopInfo]()
		go func() {
			info, err := l.Snapshot(context.Background())
			if err != nil {
				f.SetError(err)
				return
			}
			f.SetResult(info)
		}()
		info, err = duet.Await(ctx, f)
		if err != nil {
			return err
		}
		check("from a goroutine", info, aio.TaskWaiting)
		if !strings.HasPrefix(taskNamed(t, info, "main").WaitingOn, "Await") {
			t.Errorf("main waits on %q, want Await", taskNamed(t, info, "main").WaitingOn)
		}
		lock.Release()
		q.TryPut(1)
		ev.Set()
		for _, tk := range l.Tasks() {
			if tk.Name() != "main" {
				tk.Cancel("done")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Loops lists loops until they are closed; a loop that is not running is
// read at once.
func TestLoopsAndIdleSnapshot(t *testing.T) {
	l := aio.New()
	if !slices.Contains(aio.Loops(), l) {
		t.Fatalf("new loop %d not in Loops()", l.ID())
	}
	aio.Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, nil }, aio.WithName("pending"))
	unnamed := aio.Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, nil })
	info, err := l.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Running || len(info.Tasks) != 2 || info.Tasks[0].State != aio.TaskReady || info.Ready != 2 {
		t.Errorf("idle loop snapshot %+v: want not running, two ready tasks", info)
	} else if want := fmt.Sprint("Task-", unnamed.ID()); info.Tasks[0].Name != "pending" || info.Tasks[1].Name != want {
		t.Errorf("names %q, %q; want pending, %s", info.Tasks[0].Name, info.Tasks[1].Name, want)
	}
	if _, err := aio.RunUntilComplete(l, aio.Spawn(l.Context(), func(ctx context.Context) (int, error) { return 0, nil })); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(aio.Loops(), l) {
		t.Errorf("closed loop %d still in Loops()", l.ID())
	}
}

type countingInstrument struct {
	aio.NopInstrument
	spawned, started, ended, exited, idled int
	held                                   time.Duration
	names                                  []string
}

func (c *countingInstrument) TaskSpawned(t aio.AnyTask) {
	c.spawned++
	c.names = append(c.names, t.Name())
}
func (c *countingInstrument) StepStarted(aio.AnyTask) { c.started++ }
func (c *countingInstrument) StepEnded(_ aio.AnyTask, d time.Duration) {
	c.ended++
	c.held += d
}
func (c *countingInstrument) TaskExited(aio.AnyTask)  { c.exited++ }
func (c *countingInstrument) LoopIdled(time.Duration) { c.idled++ }

// An instrument hears every spawn, step and exit, and the loop's waits;
// with one installed the snapshot carries timings.
func TestInstrument(t *testing.T) {
	ins := &countingInstrument{}
	var info aio.LoopInfo
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		a := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 1, duet.Sleep(ctx, time.Millisecond) // two steps, and the loop idles
		}, aio.WithName("a"))
		if _, err := duet.Await(ctx, a); err != nil {
			return err
		}
		var err error
		info, err = aio.LoopOf(ctx).Snapshot(ctx)
		return err
	}, aio.WithInstrument(ins))
	if err != nil {
		t.Fatal(err)
	}
	// main: 2 steps (spawn a and await it; resumed at a's end), a: 2 steps.
	if ins.spawned != 2 || ins.exited != 2 || ins.started != 4 || ins.ended != 4 || ins.idled < 1 {
		t.Errorf("instrument heard %+v: want 2 spawned and exited, 4 steps, at least one idle", *ins)
	}
	if !slices.Equal(ins.names, []string{"main", "a"}) {
		t.Errorf("spawned %v, want [main a]", ins.names)
	}
	main := taskNamed(t, info, "main")
	if !info.Timed || main.Created.IsZero() || main.OnLoop <= 0 || info.MaxStep <= 0 {
		t.Errorf("timed snapshot %+v, main %+v: want creation time and time on the loop", info, main)
	}
	l := aio.New()
	defer l.Close()
	if l.RemoveInstrument(ins) {
		t.Error("RemoveInstrument of an instrument never added reported true")
	}
	l.AddInstrument(ins)
	l.AddInstrument(ins)
	if !l.RemoveInstrument(ins) || l.RemoveInstrument(ins) {
		t.Error("an instrument added twice is installed once")
	}
}
