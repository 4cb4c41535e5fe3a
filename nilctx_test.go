package duet_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// TestNilContextRule checks the one rule for a nil context (package doc):
// every call that waits, schedules or starts work refuses it with an error
// matching ErrNilContext, even where it would not have had to wait; calls
// that inspect report nothing and calls that derive give nil back. Before
// the rule, Await and Sleep panicked, Gather and Wait took nil for
// context.Background(), and a Lock refused nil only when contended.
func TestNilContextRule(t *testing.T) {
	var nilCtx context.Context
	done := duet.NewFuture[int]()
	done.SetResult(1)
	aws := []duet.Awaitable[int]{done}
	pool := must(thread.NewPool(1))
	defer pool.Shutdown(true, false)
	pool2 := must(thread.NewPool(1))
	defer pool2.Shutdown(true, false)
	var lock duet.Lock
	var ev duet.Event
	ev.Set()
	cond := duet.NewCondition(nil)
	q := duet.NewQueue[int](0)
	q.TryPut(1)
	var rl thread.RLock
	var local thread.Local[int]
	th := thread.Start(context.Background(), "joined", func(context.Context) (int, error) { return 1, nil })

	first := func(seq func(yield func(duet.Awaitable[int], error) bool)) error {
		var err error
		for _, e := range seq {
			err = e
			break
		}
		return err
	}
	futErr := func(f *duet.Future[int]) error { <-f.Done(); return f.Err() }
	calls := map[string]func() error{
		"Await":       func() error { _, err := duet.Await(nilCtx, done); return err },
		"Sleep":       func() error { return duet.Sleep(nilCtx, 0) },
		"Gather":      func() error { _, err := duet.Gather(nilCtx, aws...); return err },
		"GatherAll":   func() error { _, err := duet.GatherAll(nilCtx, aws...); return err },
		"Wait":        func() error { _, _, err := duet.Wait(nilCtx, aws, duet.AllCompleted, 0); return err },
		"WaitFor":     func() error { _, err := duet.WaitFor(nilCtx, done, time.Second); return err },
		"AsCompleted": func() error { return first(duet.AsCompleted(nilCtx, aws...)) },
		"WithTimeout": func() error { return duet.WithTimeout(nilCtx, time.Second, func(context.Context) error { return nil }) },
		"WithDeadline": func() error {
			return duet.WithDeadline(nilCtx, time.Time{}, func(context.Context) error { return nil })
		},
		"Shield": func() error { return futErr(duet.Shield(nilCtx, done)) },
		"NewGroup+Wait": func() error {
			g, gctx := duet.NewGroup(nilCtx)
			if gctx != nil {
				return errors.New("NewGroup(nil) gave a context")
			}
			if err := futErr(duet.Go(g, func(context.Context) (int, error) { return 1, nil })); !errors.Is(err, duet.ErrNilContext) {
				return fmt.Errorf("Go on the refused group: %v", err)
			}
			return g.Wait()
		},
		"AddDoneCallback":   func() error { return done.AddDoneCallback(nilCtx, func(*duet.Future[int]) {}) },
		"Lock.Acquire":      func() error { return lock.Acquire(nilCtx) }, // uncontended
		"Event.Wait":        func() error { return ev.Wait(nilCtx) },      // already set
		"Condition.Acquire": func() error { return cond.Acquire(nilCtx) },
		"Condition.Wait":    func() error { return cond.Wait(nilCtx) },
		"Semaphore.Acquire": func() error { return must(duet.NewSemaphore(1)).Acquire(nilCtx) },
		"Bounded.Acquire":   func() error { return must(duet.NewBoundedSemaphore(1)).Acquire(nilCtx) },
		"Barrier.Wait":      func() error { _, err := must(duet.NewBarrier(1)).Wait(nilCtx); return err },
		"Queue.Put":         func() error { return q.Put(nilCtx, 2) },
		"Queue.Get":         func() error { _, err := q.Get(nilCtx); return err }, // an item is there
		"Queue.Join":        func() error { return duet.NewQueue[int](0).Join(nilCtx) },
		"aio.Run":           func() error { return aio.Run(nilCtx, func(context.Context) error { return nil }) },
		"aio.Spawn": func() error {
			return futErr(aio.Spawn(nilCtx, func(context.Context) (int, error) { return 1, nil }).Future())
		},
		"aio.ToThread": func() error {
			_, err := aio.ToThread(nilCtx, func(context.Context) (int, error) { return 1, nil })
			return err
		},
		"aio.RunInExecutor": func() error {
			return futErr(aio.RunInExecutor(nilCtx, pool, func(context.Context) (int, error) { return 1, nil }))
		},
		"thread.Start": func() error {
			return futErr(thread.Start(nilCtx, "", func(context.Context) (int, error) { return 1, nil }).Future())
		},
		"thread.StartTimer": func() error {
			return futErr2(thread.StartTimer(nilCtx, 0, func(context.Context) error { return nil }).Future())
		},
		"Thread.Join": func() error { _, err := th.Join(nilCtx); return err },
		"thread.Submit": func() error {
			return futErr(thread.Submit(nilCtx, pool, func(context.Context) (int, error) { return 1, nil }))
		},
		"Pool.Go":    func() error { return pool.Go(nilCtx, func(context.Context) error { return nil }) },
		"Pool.Close": func() error { return pool2.Close(nilCtx) },
		"thread.Map": func() error {
			for _, err := range thread.Map(nilCtx, pool, slices.Values([]int{1}), func(context.Context, int) (int, error) { return 1, nil }) {
				return err
			}
			return errors.New("Map yielded nothing")
		},
		"RLock.Acquire":    func() error { return rl.Acquire(nilCtx) },
		"RLock.TryAcquire": func() error { _, err := rl.TryAcquire(nilCtx); return err },
		"RLock.Release":    func() error { return rl.Release(nilCtx) },
		"Local.Set":        func() error { return local.Set(nilCtx, 1) },
		"Local.Delete":     func() error { return local.Delete(nilCtx) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panicked: %v", r)
					}
				}()
				err = call()
			}()
			if !errors.Is(err, duet.ErrNilContext) {
				t.Fatalf("%s(nil ctx): %v, want an error matching ErrNilContext", name, err)
			}
		})
	}
	if lock.Locked() {
		t.Error("a refused Acquire took the lock")
	}
	if q.Len() != 1 {
		t.Errorf("a refused Get or Put changed the queue: %d items", q.Len())
	}

	// Inspecting: nothing; deriving: nil back.
	if duet.TimeoutFrom(nilCtx) != nil || aio.LoopOf(nilCtx) != nil {
		t.Error("TimeoutFrom or LoopOf found something in a nil ctx")
	}
	if _, ok := aio.CurrentTask(nilCtx); ok {
		t.Error("CurrentTask found a task in a nil ctx")
	}
	if _, ok := thread.Current(nilCtx); ok {
		t.Error("thread.Current found a thread in a nil ctx")
	}
	if _, ok := local.Get(nilCtx); ok || rl.OwnedBy(nilCtx) {
		t.Error("Local.Get or OwnedBy found an owner in a nil ctx")
	}
	if aio.WithLoop(nilCtx, aio.New()) != nil || thread.WithIdentity(nilCtx, "x") != nil {
		t.Error("WithLoop or WithIdentity made a context from nil")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func futErr2[T any](f *duet.Future[T]) error { <-f.Done(); return f.Err() }
