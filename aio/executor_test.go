package aio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

func TestToThreadKeepsLoopRunning(t *testing.T) {
	run(t, func(ctx context.Context) error {
		release := make(chan struct{})
		var ticks atomic.Int32
		ticker := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			for ticks.Add(1) < 3 {
				duet.Sleep(ctx, 0)
			}
			close(release) // the loop ran this task while the worker blocked
			return 0, nil
		})
		v, err := aio.ToThread(ctx, func(ctx context.Context) (string, error) {
			<-release // a blocking call, off the loop
			return "worker done", nil
		})
		if err != nil || v != "worker done" {
			return fmt.Errorf("%q %v", v, err)
		}
		_, err = duet.Await(ctx, ticker)
		return err
	})
}

func TestToThreadCancelWaitsForWorkAndCancelsItsContext(t *testing.T) {
	run(t, func(ctx context.Context) error {
		started := duet.NewFuture[struct{}]()
		var workSaw error
		task := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			return aio.ToThread(ctx, func(wctx context.Context) (string, error) {
				started.SetResult(struct{}{})
				<-wctx.Done()
				workSaw = wctx.Err()
				time.Sleep(time.Millisecond) // still busy after the cancel
				return "late", nil
			})
		})
		duet.Await(ctx, started)
		task.Cancel("stop")
		_, err := duet.Await(ctx, task)
		if !errors.Is(err, duet.ErrCancelled) || !errors.Is(workSaw, context.Canceled) {
			return fmt.Errorf("task err %v, work saw %v", err, workSaw)
		}
		return nil
	})
}

func TestToThreadAbandonOnCancel(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan string, 1)
	run(t, func(ctx context.Context) error {
		started := duet.NewFuture[struct{}]()
		task := aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			return aio.ToThread(ctx, func(wctx context.Context) (string, error) {
				started.SetResult(struct{}{})
				<-release // ignores its context: only abandoning helps
				finished <- "finished anyway"
				return "dropped", nil
			}, aio.AbandonOnCancel())
		})
		duet.Await(ctx, started)
		task.Cancel("give up")
		_, err := duet.Await(ctx, task)
		if !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("task err %v", err)
		}
		close(release) // let the abandoned work end so Run's executor shutdown is quick
		return nil
	})
	if got := <-finished; got != "finished anyway" {
		t.Fatal(got)
	}
}

func TestRunInExecutorNeverRunsWhenCancelledFirst(t *testing.T) {
	p, err := thread.NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(true, false)
	run(t, func(ctx context.Context) error {
		block := make(chan struct{})
		busy := aio.RunInExecutor(ctx, p, func(ctx context.Context) (int, error) { <-block; return 1, nil })
		var ran atomic.Bool
		queued := aio.RunInExecutor(ctx, p, func(ctx context.Context) (int, error) { ran.Store(true); return 2, nil })
		if !queued.Cancel("not needed") {
			return errors.New("could not cancel queued work")
		}
		close(block)
		if v, err := duet.Await(ctx, busy); v != 1 || err != nil {
			return fmt.Errorf("busy: %v %v", v, err)
		}
		if _, err := duet.Await(ctx, queued); !errors.Is(err, duet.ErrCancelled) || ran.Load() {
			return fmt.Errorf("queued: %v, ran=%v", err, ran.Load())
		}
		return nil
	})
}

// The virtual clock does not jump while work handed to a pool is
// outstanding: a timer a task set must not fire before real work it waits
// beside has had its chance.
func TestVirtualClockHoldsWhileWorkOutstanding(t *testing.T) {
	run(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		t0 := l.Time()
		work := aio.RunInExecutor(ctx, nil, func(ctx context.Context) (time.Duration, error) {
			time.Sleep(20 * time.Millisecond) // real time passes; virtual time must not
			return l.Time().Sub(t0), nil
		})
		timer := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, duet.Sleep(ctx, time.Hour) })
		at, err := duet.Await(ctx, work)
		if err != nil || at != 0 {
			return fmt.Errorf("virtual clock moved %v during outstanding work (%v)", at, err)
		}
		_, err = duet.Await(ctx, timer)
		return err
	})
}

func TestRunOnLoopFromGoroutine(t *testing.T) {
	// asyncio.run_coroutine_threadsafe: a goroutine starts a task on a given
	// loop and waits for its future.
	run(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		res := duet.NewFuture[string]()
		go func() {
			task := aio.Spawn(l.Context(), func(ctx context.Context) (string, error) {
				duet.Sleep(ctx, 10*time.Millisecond)
				return "ran on the loop", nil
			})
			res.Complete(duet.Await(context.Background(), task))
		}()
		v, err := duet.Await(ctx, res)
		if err != nil || v != "ran on the loop" {
			return fmt.Errorf("%q %v", v, err)
		}
		return nil
	}, aio.WithClock(realClock{}))
}

func TestRunBoundsExecutorShutdown(t *testing.T) {
	release := make(chan struct{})
	var reports reports
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		aio.RunInExecutor(ctx, nil, func(ctx context.Context) (int, error) { <-release; return 0, nil })
		return nil
	}, aio.WithExecutorShutdownTimeout(10*time.Millisecond), aio.WithExceptionHandler(reports.handler))
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	all := reports.all()
	if len(all) != 1 || !strings.Contains(all[0].Message, "did not finish its work within 10ms") {
		t.Fatalf("reports: %+v", all)
	}
}

// WithExecutorShutdownTimeout follows duet's timeout rule. d <= 0 does not
// wait: Run shuts the default executor down and returns while its work
// still runs, the queued work cancelled, nothing reported (not waiting was
// asked for). The 10 s default applied to d <= 0 before.
func TestExecutorShutdownTimeoutZeroDoesNotWait(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		release := make(chan struct{})
		var reports reports
		var pool *thread.Pool
		var running []*duet.Future[int]
		var queued *duet.Future[int]
		returned := make(chan error, 1)
		go func() {
			returned <- aio.Run(context.Background(), func(ctx context.Context) error {
				p, err := aio.LoopOf(ctx).DefaultExecutor()
				if err != nil {
					return err
				}
				pool = p
				started := make(chan struct{}, p.Size())
				for range p.Size() { // every worker busy...
					running = append(running, aio.RunInExecutor(ctx, nil, func(ctx context.Context) (int, error) {
						started <- struct{}{}
						<-release
						return 0, nil
					}))
				}
				for range p.Size() {
					<-started
				}
				queued = aio.RunInExecutor(ctx, nil, func(ctx context.Context) (int, error) { return 1, nil }) // ...so this one waits
				return nil
			}, aio.WithExecutorShutdownTimeout(d), aio.WithExceptionHandler(reports.handler))
		}()
		var err error
		select {
		case err = <-returned:
		case <-time.After(30 * time.Second): // a hang guard, not a timing check
			t.Fatalf("d=%v: Run did not return while the executor's work ran", d)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range running {
			if f.IsDone() {
				t.Errorf("d=%v: running work was waited for", d)
			}
		}
		if !queued.Cancelled() {
			t.Errorf("d=%v: queued work was not cancelled: done %v", d, queued.IsDone())
		}
		if _, err := duet.Await(context.Background(), thread.Submit(context.Background(), pool, func(context.Context) (int, error) { return 0, nil })); !errors.Is(err, duet.ErrClosed) {
			t.Errorf("d=%v: Submit after Run: %v, want the executor shut down", d, err)
		}
		if all := reports.all(); len(all) != 0 {
			t.Errorf("d=%v: reports %+v, want none", d, all)
		}
		close(release)
		for _, f := range running {
			if _, err := duet.Await(context.Background(), f); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// duet.NoTimeout waits for all the executor's work, without limit.
func TestExecutorShutdownNoTimeoutWaitsForWork(t *testing.T) {
	var reports reports
	var finished atomic.Bool
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		started := make(chan struct{})
		aio.RunInExecutor(ctx, nil, func(ctx context.Context) (int, error) {
			close(started)
			time.Sleep(20 * time.Millisecond) // still running when Run shuts down
			finished.Store(true)
			return 0, nil
		})
		<-started
		return nil
	}, aio.WithExecutorShutdownTimeout(duet.NoTimeout), aio.WithExceptionHandler(reports.handler))
	if err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Run returned before the executor's work finished")
	}
	if all := reports.all(); len(all) != 0 {
		t.Fatalf("reports %+v, want none", all)
	}
}
