//go:build !race

// Cancellation storms on the primitives with 100,000 waiting tasks: too many
// goroutines for the race detector (it allows 8,128), so these run in the
// test script's non-race pass (-run 'Large|Stress|Million').

package duet_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

const stressTasks = 100_000

// TestQueueCancelStormStress: 100,000 getter tasks wait on one Queue; a
// third of them are cancelled at random moments, from the loop and from a
// goroutine, while the main task and a producer goroutine put items. Every
// getter that was not cancelled gets exactly one item, no item is lost or
// duplicated, no waiter is stuck and no waiter is left in the queue.
func TestQueueCancelStormStress(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	target := make([]bool, stressTasks) // chosen for cancellation
	for i := range target {
		target[i] = rng.IntN(3) == 0
	}
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](0)
		got := make([]int, stressTasks) // per task: item+1, 0 for none
		failed := make([]bool, stressTasks)
		ts := make([]*aio.Task[struct{}], stressTasks)
		for i := range ts {
			ts[i] = spawn(ctx, "getter", func(ctx context.Context) error {
				v, err := q.Get(ctx)
				if err != nil {
					if !errors.Is(err, duet.ErrCancelled) {
						return err
					}
					failed[i] = true
					return nil
				}
				got[i] = v + 1
				return nil
			})
		}
		yield(ctx, 1) // everyone waits
		if g, _, _ := duet.QueueWaiters(q); g != stressTasks {
			return fmt.Errorf("%d getters waiting, want %d", g, stressTasks)
		}

		var putCount atomic.Int64 // items put so far (ids 0..putCount-1)
		putItem := func(ctx context.Context) error {
			return q.Put(ctx, int(putCount.Add(1)-1))
		}
		// A goroutine cancels half of the targets and puts items while
		// the main task does the same for the other half.
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(3, 4))
			for i := range stressTasks {
				if target[i] && i%2 == 1 {
					ts[i].Cancel("storm")
				}
				if r.IntN(4) == 0 {
					putItem(context.Background())
				}
			}
		}()
		for i := range stressTasks {
			if target[i] && i%2 == 0 {
				ts[i].Cancel("storm")
			}
			if rng.IntN(4) == 0 {
				putItem(ctx)
			}
			if rng.IntN(1000) == 0 {
				yield(ctx, 1+rng.IntN(3))
			}
		}
		wg.Wait()

		// Feed the getters still waiting until every task has finished.
		remaining := func() int {
			n := 0
			for _, tk := range ts {
				if !tk.IsDone() {
					n++
				}
			}
			return n
		}
		stalled := 0
		for last := -1; ; {
			n := remaining()
			if n == 0 {
				break
			}
			if n == last {
				if stalled++; stalled > 100 {
					return fmt.Errorf("%d getters stuck with %d items queued: lost wake-up", n, q.Len())
				}
			} else {
				stalled = 0
			}
			last = n
			for range n - q.Len() {
				putItem(ctx)
			}
			yield(ctx, 1)
		}

		// Check: each item received at most once, all items accounted for.
		seen := make([]bool, putCount.Load())
		received := 0
		for i := range ts {
			if err := errOf(ctx, ts[i]); err != nil {
				return err
			}
			switch {
			case got[i] > 0:
				if seen[got[i]-1] {
					return fmt.Errorf("item %d received twice", got[i]-1)
				}
				seen[got[i]-1] = true
				received++
			case failed[i]:
				if !target[i] {
					return fmt.Errorf("getter %d failed without being cancelled", i)
				}
			default:
				return fmt.Errorf("getter %d finished with nothing", i)
			}
		}
		if received+q.Len() != int(putCount.Load()) {
			return fmt.Errorf("put %d, received %d, queued %d: items lost", putCount.Load(), received, q.Len())
		}
		for q.Len() > 0 {
			v, _ := q.TryGet()
			if seen[v] {
				return fmt.Errorf("item %d both received and still queued", v)
			}
		}
		if g, p, _ := duet.QueueWaiters(q); g+p != 0 {
			return fmt.Errorf("waiters left: %d getters, %d putters", g, p)
		}
		t.Logf("%d getters, %d cancelled, %d items", stressTasks, stressTasks-received, putCount.Load())
		return nil
	})
}

// TestSemaphoreCancelStormStress: 100,000 tasks acquire a 16-permit
// semaphore, hold it across a yield and release it, while random ones are
// cancelled (waiting, granted-but-not-running or holding). The bound is
// never exceeded, nobody is stuck, and every permit comes back.
func TestSemaphoreCancelStormStress(t *testing.T) {
	const permits = 16
	runLoop(t, func(ctx context.Context) error {
		s, _ := duet.NewSemaphore(permits)
		inside, maxInside, acquired, finished := 0, 0, 0, 0
		ts := make([]*aio.Task[struct{}], stressTasks)
		for i := range ts {
			ts[i] = spawn(ctx, "acquirer", func(ctx context.Context) error {
				defer func() { finished++ }()
				if err := s.Acquire(ctx); err != nil {
					return nil
				}
				inside++
				acquired++
				maxInside = max(maxInside, inside)
				duet.Sleep(ctx, time.Duration(i%3)*time.Millisecond)
				inside--
				s.Release()
				return nil
			})
		}
		yield(ctx, 1) // all started (a task cancelled before it starts never runs)
		rng := rand.New(rand.NewPCG(5, 6))
		for round := 0; finished < stressTasks; round++ {
			for range 4 {
				ts[rng.IntN(stressTasks)].Cancel("storm")
			}
			yield(ctx, 1)
			duet.Sleep(ctx, time.Millisecond)
			if round > 100_000 {
				return fmt.Errorf("%d of %d tasks never finished", stressTasks-finished, stressTasks)
			}
		}
		for _, tk := range ts {
			if err := errOf(ctx, tk); err != nil && !errors.Is(err, duet.ErrCancelled) {
				return err
			}
		}
		if maxInside > permits {
			return fmt.Errorf("%d holders at once, limit %d", maxInside, permits)
		}
		for i := range permits {
			if !s.TryAcquire() {
				return fmt.Errorf("permit %d lost", i)
			}
		}
		if s.TryAcquire() || duet.SemaphoreWaiters(s) != 0 {
			return errors.New("a permit was created or a waiter left")
		}
		t.Logf("%d tasks, %d acquired", stressTasks, acquired)
		return nil
	})
}

// TestQueueMixedStormStress: getters on two loops (50,000 tasks each) and
// 2,000 goroutines, a third of them with deadlines, drain one bounded queue
// fed by four goroutine producers. Every item is received exactly once.
func TestQueueMixedStormStress(t *testing.T) {
	const perLoop, goroutines, items = 50_000, 2_000, 60_000
	q := duet.NewQueue[int](64)
	var seen [items]atomic.Int32
	var received atomic.Int64
	consume := func(ctx context.Context, deadline time.Duration) error {
		for {
			cctx, cancel := ctx, context.CancelFunc(func() {})
			if deadline > 0 {
				cctx, cancel = context.WithTimeout(ctx, deadline)
			}
			v, err := q.Get(cctx)
			cancel()
			switch {
			case errors.Is(err, duet.ErrQueueShutDown):
				return nil
			case err != nil && deadline > 0 && errors.Is(err, duet.ErrTimeout):
				continue
			case err != nil:
				return err
			}
			seen[v].Add(1)
			received.Add(1)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+8)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				ts := make([]*aio.Task[struct{}], perLoop)
				for i := range ts {
					ts[i] = spawn(ctx, "c", func(ctx context.Context) error { return consume(ctx, 0) })
				}
				var err error
				for _, tk := range ts {
					err = errors.Join(err, errOf(ctx, tk))
				}
				return err
			})
		}()
	}
	for g := range goroutines {
		wg.Add(1)
		var d time.Duration
		if g%3 == 0 {
			d = time.Duration(1+g%50) * time.Microsecond
		}
		go func() { defer wg.Done(); errs <- consume(context.Background(), d) }()
	}
	var producers sync.WaitGroup
	for p := range 4 {
		producers.Add(1)
		go func() {
			defer producers.Done()
			for i := p; i < items; i += 4 {
				if err := q.Put(context.Background(), i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	producers.Wait()
	// Let the consumers drain, then stop them.
	waitUntil(t, "queue drained", func() bool { return received.Load() == items })
	q.Shutdown(false)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d received %d times", i, n)
		}
	}
	if g, p, _ := duet.QueueWaiters(q); g+p != 0 {
		t.Fatalf("waiters left: %d getters, %d putters", g, p)
	}
}
