package thread_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// collectable reports whether the value that armed collected becomes
// garbage: it runs GC a bounded number of times, giving the cleanup
// goroutine a chance to run after each. No timing is asserted: a value that
// is still reachable never becomes collectable, however long one waits.
func collectable(collected <-chan struct{}) bool {
	for range 50 {
		runtime.GC()
		select {
		case <-collected:
			return true
		case <-time.After(5 * time.Millisecond):
		}
	}
	return false
}

// captured returns a function capturing a fresh 1 KiB value (large enough
// to get an allocation of its own), and a channel closed once that value
// has been collected.
func captured(body func() (int, error)) (func(context.Context) (int, error), <-chan struct{}) {
	big := new([1024]byte)
	big[0] = 1
	collected := make(chan struct{})
	runtime.AddCleanup(big, func(ch chan struct{}) { close(ch) }, collected)
	return func(context.Context) (int, error) {
		v, err := body()
		return v + int(big[0]) - 1, err
	}, collected
}

// A completed future does not keep its function, or what the function
// captured, alive: whether the task returned, panicked, was cancelled while
// queued or had its context done before it started.
func TestPoolCompletedFutureDropsFunction(t *testing.T) {
	ctx := guard(t)
	boom := errors.New("boom")
	cases := []struct {
		name string
		run  func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int]
	}{
		{"returned", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			f := thread.Submit(ctx, p, fn)
			if v, err := duet.Await(ctx, f); v != 7 || err != nil {
				t.Fatalf("got %v %v, want 7", v, err)
			}
			return f
		}},
		{"failed", nil},
		{"panicked", nil},
		{"cancelled while queued", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			f := thread.Submit(ctx, p, fn)
			if !f.Cancel("test") {
				t.Fatal("could not cancel a queued task")
			}
			close(b.release)
			// The worker pops the cancelled task after the blocker.
			if _, err := duet.Await(ctx, thread.Submit(ctx, p, func(context.Context) (int, error) { return 0, nil })); err != nil {
				t.Fatal(err)
			}
			return f
		}},
		{"context done before start", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			cctx, cancel := context.WithCancel(ctx)
			f := thread.Submit(cctx, p, fn)
			cancel()
			close(b.release)
			if _, err := duet.Await(ctx, f); !errors.Is(err, duet.ErrCancelled) {
				t.Fatalf("got %v, want a cancellation", err)
			}
			return f
		}},
		{"shut down with cancelFutures", func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
			b := newBlocker()
			thread.Submit(ctx, p, b.fn)
			<-b.started
			f := thread.Submit(ctx, p, fn)
			p.Shutdown(false, true)
			close(b.release)
			p.Shutdown(true, false)
			if !f.Cancelled() {
				t.Fatal("the queued task was not cancelled")
			}
			return f
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPool(t, 1)
			var body func() (int, error)
			run := c.run
			switch c.name {
			case "failed":
				body = func() (int, error) { return 0, boom }
			case "panicked":
				body = func() (int, error) { panic("boom") }
			default:
				body = func() (int, error) { return 7, nil }
			}
			if run == nil {
				run = func(t *testing.T, p *thread.Pool, fn func(context.Context) (int, error)) *duet.Future[int] {
					f := thread.Submit(ctx, p, fn)
					if _, err := duet.Await(ctx, f); err == nil {
						t.Fatal("want an error")
					}
					return f
				}
			}
			fn, collected := captured(body)
			f := run(t, p, fn)
			fn = nil
			if !collectable(collected) {
				t.Fatal("the completed future keeps its function's captured value alive")
			}
			runtime.KeepAlive(f)
		})
	}
}

// warm starts all of p's workers and waits until they are idle, so that
// the next Submits find idle workers to wake.
func warm(t *testing.T, p *thread.Pool) {
	t.Helper()
	ctx := guard(t)
	n := p.Size()
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	futs := make([]*duet.Future[int], n)
	for i := range n {
		futs[i] = thread.Submit(ctx, p, func(context.Context) (int, error) {
			started.Done()
			<-release
			return 0, nil
		})
	}
	started.Wait()
	close(release)
	for _, f := range futs {
		if _, err := duet.Await(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every worker to be idle", func() bool { return p.Stats().Idle == n })
}

// Every task of a burst onto idle workers gets a worker, although the pool
// wakes its workers one at a time: tasks that can only finish once all of
// them run at the same time (a barrier) finish, from one submitter and from
// many.
func TestPoolWakesEveryIdleWorkerForABurst(t *testing.T) {
	const workers = 32
	for _, submitters := range []int{1, 8} {
		t.Run(fmt.Sprint("submitters=", submitters), func(t *testing.T) {
			ctx := guard(t)
			p := newPool(t, workers)
			warm(t, p)
			for round := range 20 {
				// A barrier that gives up with the guard context, so that a
				// lost wake-up fails the test rather than hang it.
				var arrived atomic.Int32
				all := make(chan struct{})
				futs := make([]*duet.Future[int], workers)
				var wg sync.WaitGroup
				for s := range submitters {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := s; i < workers; i += submitters {
							futs[i] = thread.Submit(ctx, p, func(ctx context.Context) (int, error) {
								if arrived.Add(1) == workers {
									close(all)
								}
								select { // every task must be running at once
								case <-all:
									return i, nil
								case <-ctx.Done():
									return 0, ctx.Err()
								}
							})
						}
					}()
				}
				wg.Wait()
				for i, f := range futs {
					if v, err := duet.Await(ctx, f); v != i || err != nil {
						t.Fatalf("round %d task %d: %v %v", round, i, v, err)
					}
				}
				eventually(t, "every worker to be idle again", func() bool { return p.Stats().Idle == workers })
			}
			if s := p.Stats(); s.Live != workers || s.Queued != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// Many goroutines submit tiny tasks to a large pool whose workers keep going
// idle: no task is stranded in the queue while workers sleep.
func TestPoolManySubmittersIdleWorkers(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 64)
	const submitters, each = 16, 2000
	var ran atomic.Int64
	futs := make([][]*duet.Future[int], submitters)
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				futs[s] = append(futs[s], thread.Submit(ctx, p, func(context.Context) (int, error) {
					ran.Add(1)
					return i, nil
				}))
				if i%64 == 0 {
					runtime.Gosched() // let the workers run dry and idle
				}
			}
		}()
	}
	wg.Wait()
	for s := range submitters {
		for i, f := range futs[s] {
			if v, err := duet.Await(ctx, f); v != i || err != nil {
				t.Fatalf("submitter %d task %d: %v %v", s, i, v, err)
			}
		}
	}
	if n := ran.Load(); n != submitters*each {
		t.Fatalf("%d tasks ran, want %d", n, submitters*each)
	}
	eventually(t, "an empty queue and idle workers", func() bool {
		s := p.Stats()
		return s.Queued == 0 && s.Idle == s.Live
	})
}

// Idle workers expiring while goroutines submit: every future completes and
// the pool keeps no task queued without a worker.
func TestPoolIdleExpiryRacesSubmitters(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 16, thread.WithIdleTimeout(20*time.Microsecond))
	const submitters, each = 8, 300
	futs := make([][]*duet.Future[int], submitters)
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				futs[s] = append(futs[s], thread.Submit(ctx, p, func(context.Context) (int, error) { return i, nil }))
				if i%(s+3) == 0 {
					time.Sleep(time.Duration(i%50) * time.Microsecond) // let some workers expire
				}
			}
		}()
	}
	wg.Wait()
	for s := range submitters {
		for i, f := range futs[s] {
			if v, err := duet.Await(ctx, f); v != i || err != nil {
				t.Fatalf("submitter %d task %d: %v %v", s, i, v, err)
			}
		}
	}
	eventually(t, "every worker to expire", func() bool { return p.Stats().Live == 0 })
}

// A full queue with idle workers never makes Submit wait or reject, even
// while a worker is being woken.
func TestPoolFullQueueWithIdleWorkersNeverRejects(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 8, thread.WithQueueSize(1), thread.WithRejectWhenFull())
	warm(t, p)
	var started sync.WaitGroup
	started.Add(8)
	release := make(chan struct{})
	futs := make([]*duet.Future[int], 8)
	for i := range 8 {
		futs[i] = thread.Submit(ctx, p, func(context.Context) (int, error) {
			started.Done()
			<-release
			return i, nil
		})
	}
	for i, f := range futs {
		if f.IsDone() {
			t.Fatalf("task %d failed at once: %v", i, f.Err())
		}
	}
	started.Wait() // all eight run at once
	close(release)
	for i, f := range futs {
		if v, err := duet.Await(ctx, f); v != i || err != nil {
			t.Fatalf("task %d: %v %v", i, v, err)
		}
	}
}

// Tasks start in submission order (one worker, and a burst onto an idle
// pool whose queue fills while workers wake).
func TestPoolStartOrderFIFO(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	warm(t, p)
	var mu sync.Mutex
	var order []int
	var futs []*duet.Future[int]
	for i := range 200 {
		futs = append(futs, thread.Submit(ctx, p, func(context.Context) (int, error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return i, nil
		}))
	}
	for _, f := range futs {
		if _, err := duet.Await(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("task %d started at position %d: %v", v, i, order)
		}
	}
}
