//go:build !race

package thread_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// Ten million tiny tasks through one pool, from two submitters: every task
// runs exactly once and the pool ends with no worker.
func TestPoolStressTenMillion(t *testing.T) {
	const total = 10_000_000
	p, err := thread.NewPool(0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ran atomic.Int64
	var wg sync.WaitGroup
	wg.Add(total)
	fn := func(context.Context) (struct{}, error) {
		ran.Add(1)
		wg.Done()
		return struct{}{}, nil
	}
	var last *duet.Future[struct{}]
	var submitters sync.WaitGroup
	for s := range 2 {
		submitters.Add(1)
		go func() {
			defer submitters.Done()
			var f *duet.Future[struct{}]
			for range total / 2 {
				f = thread.Submit(ctx, p, fn)
			}
			if s == 0 {
				last = f
			}
		}()
	}
	submitters.Wait()
	wg.Wait()
	p.Shutdown(true, false)
	if n := ran.Load(); n != total {
		t.Fatalf("%d tasks ran, want %d", n, total)
	}
	if !last.IsDone() || last.Err() != nil {
		t.Fatal("the last future is not complete")
	}
	if s := p.Stats(); s.Live != 0 || s.Queued != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A large pool: 10,000 workers all busy at once, then Shutdown.
func TestPoolLargeTenThousandWorkers(t *testing.T) {
	const workers = 10_000
	p, err := thread.NewPool(workers)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var started sync.WaitGroup
	started.Add(workers)
	release := make(chan struct{})
	futs := make([]*duet.Future[int], workers)
	for i := range workers {
		futs[i] = thread.Submit(ctx, p, func(context.Context) (int, error) {
			started.Done()
			<-release
			return i, nil
		})
	}
	started.Wait()
	if s := p.Stats(); s.Live != workers {
		t.Fatalf("stats %+v", s)
	}
	close(release)
	p.Shutdown(true, false)
	for i, f := range futs {
		if v, err := f.Result(); v != i || err != nil {
			t.Fatalf("task %d: %v %v", i, v, err)
		}
	}
}

// Many pools shut down under load, repeatedly.
func TestPoolStressShutdownRounds(t *testing.T) {
	ctx := context.Background()
	for round := range 200 {
		p, err := thread.NewPool(1+round%8, thread.WithQueueSize(1+round%5), thread.WithIdleTimeout(0))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var ran, values atomic.Int64
		futs := make([][]*duet.Future[int], 4)
		for s := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					futs[s] = append(futs[s], thread.Submit(ctx, p, func(context.Context) (int, error) {
						ran.Add(1)
						return 1, nil
					}))
				}
			}()
		}
		p.Shutdown(round%2 == 0, round%3 == 0)
		wg.Wait()
		p.Shutdown(true, false)
		for _, fs := range futs {
			for _, f := range fs {
				if !f.IsDone() {
					t.Fatalf("round %d: a future was left pending", round)
				}
				if v, err := f.Result(); err == nil {
					values.Add(int64(v))
				}
			}
		}
		if values.Load() != ran.Load() {
			t.Fatalf("round %d: %d values, %d runs", round, values.Load(), ran.Load())
		}
	}
}
