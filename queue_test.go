package duet_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func TestQueueZeroValue(t *testing.T) {
	var q duet.Queue[string]
	if q.Cap() != 0 || !q.Empty() || q.Full() || q.Len() != 0 {
		t.Fatal("zero Queue state")
	}
	for _, s := range []string{"a", "b", "c"} {
		if err := q.Put(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"a", "b", "c"} {
		if v, err := q.Get(context.Background()); v != want || err != nil {
			t.Fatalf("Get = %q, %v; want %q", v, err, want)
		}
	}
	if _, err := q.TryGet(); !errors.Is(err, duet.ErrQueueEmpty) {
		t.Fatalf("TryGet on empty: %v", err)
	}
}

func TestQueueBadInput(t *testing.T) {
	if q, err := duet.NewPriorityQueue[int](0, nil); q != nil || err == nil || !strings.Contains(err.Error(), "less") {
		t.Fatalf("NewPriorityQueue(nil) = %v, %v", q, err)
	}
	q := duet.NewQueue[int](-5)
	if q.Cap() != 0 {
		t.Fatalf("Cap of NewQueue(-5) = %d, want 0 (unbounded)", q.Cap())
	}
	if _, err := q.Get(nil); err == nil { //nolint:staticcheck // deliberately bad input
		t.Fatal("Get(nil) on an empty queue succeeded")
	}
	if err := q.TaskDone(); !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "more times") {
		t.Fatalf("TaskDone with nothing put: %v", err)
	}
	g, p, j := duet.QueueWaiters(q)
	if g+p+j != 0 {
		t.Fatal("waiters left")
	}
}

func TestQueueTryOps(t *testing.T) {
	q := duet.NewQueue[int](2)
	if q.Cap() != 2 {
		t.Fatal("Cap")
	}
	if q.TryPut(1) != nil || q.TryPut(2) != nil {
		t.Fatal("TryPut into room failed")
	}
	if err := q.TryPut(3); !errors.Is(err, duet.ErrQueueFull) {
		t.Fatalf("TryPut on full: %v", err)
	}
	if !q.Full() || q.Len() != 2 || q.Empty() {
		t.Fatal("state when full")
	}
	if v, err := q.TryGet(); v != 1 || err != nil {
		t.Fatalf("TryGet = %d, %v", v, err)
	}
}

func TestQueueOrders(t *testing.T) {
	in := []int{5, 1, 4, 1, 3, 9, 2, 6}
	drain := func(q *duet.Queue[int]) []int {
		for _, v := range in {
			if err := q.TryPut(v); err != nil {
				t.Fatal(err)
			}
		}
		var out []int
		for !q.Empty() {
			v, _ := q.TryGet()
			out = append(out, v)
		}
		return out
	}
	if got := drain(duet.NewQueue[int](0)); !slices.Equal(got, in) {
		t.Errorf("FIFO: %v", got)
	}
	rev := slices.Clone(in)
	slices.Reverse(rev)
	if got := drain(duet.NewLifoQueue[int](0)); !slices.Equal(got, rev) {
		t.Errorf("LIFO: %v", got)
	}
	pq, err := duet.NewPriorityQueue(0, func(a, b int) bool { return a < b })
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(in)
	slices.Sort(sorted)
	if got := drain(pq); !slices.Equal(got, sorted) {
		t.Errorf("priority: %v", got)
	}
}

// TestQueueRingWrap drives a bounded FIFO through many wrap-arounds and
// growths against a slice.
func TestQueueRingWrap(t *testing.T) {
	for _, maxsize := range []int{0, 1, 3, 7, 100} {
		q := duet.NewQueue[int](maxsize)
		var model []int
		next := 0
		for step := range 5000 {
			if (step*7919)%5 < 3 {
				err := q.TryPut(next)
				if maxsize > 0 && len(model) == maxsize {
					if !errors.Is(err, duet.ErrQueueFull) {
						t.Fatalf("maxsize %d: TryPut on full: %v", maxsize, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				model = append(model, next)
				next++
			} else {
				v, err := q.TryGet()
				if len(model) == 0 {
					if !errors.Is(err, duet.ErrQueueEmpty) {
						t.Fatalf("TryGet on empty: %v", err)
					}
					continue
				}
				if err != nil || v != model[0] {
					t.Fatalf("maxsize %d step %d: got %d, %v; want %d", maxsize, step, v, err, model[0])
				}
				model = model[1:]
			}
			if q.Len() != len(model) {
				t.Fatalf("Len %d, model %d", q.Len(), len(model))
			}
		}
	}
}

// TestQueueShrinks: an unbounded queue gives memory back after a burst.
func TestQueueShrinks(t *testing.T) {
	q := duet.NewQueue[int](0)
	for i := range 100000 {
		q.TryPut(i)
	}
	big := duet.QueueBufCap(q)
	for i := range 100000 {
		if v, _ := q.TryGet(); v != i {
			t.Fatalf("got %d, want %d", v, i)
		}
	}
	if c := duet.QueueBufCap(q); c >= big/8 {
		t.Fatalf("buffer %d slots after draining, was %d", c, big)
	}
}

func TestQueuePriorityLessPanics(t *testing.T) {
	pq, _ := duet.NewPriorityQueue(0, func(a, b int) bool {
		if a == 13 || b == 13 {
			panic("unlucky")
		}
		return a < b
	})
	pq.TryPut(1)
	func() {
		defer func() {
			if r := recover(); r != "unlucky" {
				t.Fatalf("recovered %v", r)
			}
		}()
		pq.TryPut(13)
	}()
	// The queue is not left locked.
	if pq.Len() != 2 {
		t.Fatalf("Len = %d", pq.Len())
	}
}

// TestQueueGettersFIFO: waiting getters are served in arrival order.
func TestQueueGettersFIFO(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](0)
		var ts []*aio.Task[struct{}]
		for _, name := range []string{"A", "B", "C"} {
			ts = append(ts, spawn(ctx, name, func(ctx context.Context) error {
				v, err := q.Get(ctx)
				tr.add("%s%d", name, v)
				return err
			}))
		}
		yield(ctx, 1)
		for i := 1; i <= 3; i++ {
			q.Put(ctx, i)
		}
		var err error
		for _, tk := range ts {
			err = errors.Join(err, errOf(ctx, tk))
		}
		return err
	})
	tr.want(t, "A1 B2 C3")
}

// TestQueuePuttersFIFO: waiting putters are served in arrival order.
func TestQueuePuttersFIFO(t *testing.T) {
	var got []int
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](1)
		q.Put(ctx, 0)
		var ts []*aio.Task[struct{}]
		for i := 1; i <= 3; i++ {
			ts = append(ts, spawn(ctx, fmt.Sprint(i), func(ctx context.Context) error { return q.Put(ctx, i) }))
		}
		yield(ctx, 1)
		if _, p, _ := duet.QueueWaiters(q); p != 3 {
			return fmt.Errorf("putters = %d", p)
		}
		for range 4 {
			v, err := q.Get(ctx)
			if err != nil {
				return err
			}
			got = append(got, v)
		}
		var err error
		for _, tk := range ts {
			err = errors.Join(err, errOf(ctx, tk))
		}
		return err
	})
	if !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("got %v", got)
	}
}

// TestQueueGetterCancelled: a getter cancelled before an item arrives takes
// nothing; one woken and cancelled before it runs leaves the item for the
// next getter.
func TestQueueGetterCancelled(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](0)
		body := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				v, err := q.Get(ctx)
				if err != nil {
					tr.add("%s:cancelled", name)
					return err
				}
				tr.add("%s%d", name, v)
				return nil
			}
		}
		a, b, c, d := spawn(ctx, "A", body("A")), spawn(ctx, "B", body("B")), spawn(ctx, "C", body("C")), spawn(ctx, "D", body("D"))
		yield(ctx, 1)
		a.Cancel("") // before any item
		yield(ctx, 1)
		q.Put(ctx, 1) // wakes B
		b.Cancel("")  // B woken, not run yet: the item must reach C
		wantCancelled(t, "A", errOf(ctx, a))
		wantCancelled(t, "B", errOf(ctx, b))
		if err := errOf(ctx, c); err != nil {
			return err
		}
		q.Put(ctx, 2)
		if err := errOf(ctx, d); err != nil {
			return err
		}
		if g, p, _ := duet.QueueWaiters(q); g+p != 0 || q.Len() != 0 {
			return errors.New("queue not left clean")
		}
		return nil
	})
	tr.want(t, "A:cancelled B:cancelled C1 D2")
}

// TestQueuePutterCancelled: a putter cancelled while waiting adds nothing;
// one woken and cancelled passes the room to the next putter.
func TestQueuePutterCancelled(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](1)
		q.Put(ctx, 0)
		p1 := spawn(ctx, "p1", func(ctx context.Context) error { return q.Put(ctx, 1) })
		p2 := spawn(ctx, "p2", func(ctx context.Context) error { return q.Put(ctx, 2) })
		p3 := spawn(ctx, "p3", func(ctx context.Context) error { return q.Put(ctx, 3) })
		yield(ctx, 1)
		p1.Cancel("") // before room
		yield(ctx, 1)
		if v, _ := q.Get(ctx); v != 0 { // wakes p2
			return fmt.Errorf("got %d", v)
		}
		p2.Cancel("") // woken, not run: p3 must get the room
		wantCancelled(t, "p1", errOf(ctx, p1))
		wantCancelled(t, "p2", errOf(ctx, p2))
		if err := errOf(ctx, p3); err != nil {
			return err
		}
		if v, _ := q.Get(ctx); v != 3 || q.Len() != 0 {
			return fmt.Errorf("got %d, len %d", v, q.Len())
		}
		return nil
	})
}

func TestQueueTaskDoneJoin(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](0)
		if err := q.Join(ctx); err != nil {
			return err
		}
		for i := range 3 {
			q.Put(ctx, i)
		}
		j := spawn(ctx, "join", func(ctx context.Context) error {
			err := q.Join(ctx)
			tr.add("joined")
			return err
		})
		jc := spawn(ctx, "joinc", q.Join)
		yield(ctx, 1)
		jc.Cancel("")
		wantCancelled(t, "cancelled Join", errOf(ctx, jc))
		for range 3 {
			q.Get(ctx)
			yield(ctx, 1)
			tr.add("done")
			if err := q.TaskDone(); err != nil {
				return err
			}
		}
		if err := errOf(ctx, j); err != nil {
			return err
		}
		if err := q.TaskDone(); !errors.Is(err, duet.ErrInvalidState) {
			return fmt.Errorf("extra TaskDone: %v", err)
		}
		return nil
	})
	tr.want(t, "done done done joined")
}

func TestQueueShutdown(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](2)
		q.Put(ctx, 1)
		q.Put(ctx, 2)
		putter := spawn(ctx, "putter", func(ctx context.Context) error { return q.Put(ctx, 3) })
		yield(ctx, 1)
		q.Shutdown(false)
		if err := errOf(ctx, putter); !errors.Is(err, duet.ErrQueueShutDown) || !errors.Is(err, duet.ErrClosed) {
			return fmt.Errorf("blocked putter: %v", err)
		}
		if err := q.TryPut(4); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("TryPut after shutdown: %v", err)
		}
		if err := q.Put(ctx, 4); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("Put after shutdown: %v", err)
		}
		// Not immediate: the items left drain, then Get fails.
		for _, want := range []int{1, 2} {
			if v, err := q.Get(ctx); v != want || err != nil {
				return fmt.Errorf("drain: %d, %v", v, err)
			}
		}
		if _, err := q.Get(ctx); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("Get on empty shut-down queue: %v", err)
		}
		if _, err := q.TryGet(); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("TryGet on empty shut-down queue: %v", err)
		}

		// A getter blocked on an empty queue fails at shutdown.
		q2 := duet.NewQueue[int](0)
		g := spawn(ctx, "getter", func(ctx context.Context) error { _, err := q2.Get(ctx); return err })
		yield(ctx, 1)
		q2.Shutdown(false)
		if err := errOf(ctx, g); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("blocked getter: %v", err)
		}
		return nil
	})
}

func TestQueueShutdownImmediate(t *testing.T) {
	var tr trace
	runLoop(t, func(ctx context.Context) error {
		q := duet.NewQueue[int](0)
		for i := range 5 {
			q.Put(ctx, i)
		}
		q.Get(ctx)
		q.Get(ctx) // two got, not marked done: 5 unfinished, 3 queued
		j := spawn(ctx, "join", func(ctx context.Context) error {
			err := q.Join(ctx)
			tr.add("joined")
			return err
		})
		yield(ctx, 1)
		q.Shutdown(true)
		if q.Len() != 0 {
			return fmt.Errorf("Len = %d after immediate shutdown", q.Len())
		}
		if _, err := q.Get(ctx); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("Get: %v", err)
		}
		yield(ctx, 2)
		tr.add("done")
		q.TaskDone()
		yield(ctx, 2)
		tr.add("done")
		q.TaskDone() // the discarded 3 were subtracted: this reaches zero
		if err := errOf(ctx, j); err != nil {
			return err
		}
		if err := q.TaskDone(); !errors.Is(err, duet.ErrInvalidState) {
			return fmt.Errorf("TaskDone below zero: %v", err)
		}

		// Immediate shutdown with nothing unfinished beyond the queued
		// items releases Join at once; blocked getters fail.
		q2 := duet.NewQueue[int](0)
		g := spawn(ctx, "getter", func(ctx context.Context) error { _, err := q2.Get(ctx); return err })
		yield(ctx, 1)
		q2.TryPut(7)      // wakes the getter ...
		q2.Shutdown(true) // ... but the item is discarded before it runs
		if err := errOf(ctx, g); !errors.Is(err, duet.ErrQueueShutDown) {
			return fmt.Errorf("getter: %v", err)
		}
		return q2.Join(ctx)
	})
	tr.want(t, "done done joined")
}

func TestQueueGoroutineCtx(t *testing.T) {
	q := duet.NewQueue[int](1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := q.Get(ctx); !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("Get: %v", err)
	}
	q.TryPut(1)
	if err := q.Put(ctx, 2); !errors.Is(err, duet.ErrTimeout) {
		t.Fatalf("Put: %v", err)
	}
	if g, p, _ := duet.QueueWaiters(q); g+p != 0 || q.Len() != 1 {
		t.Fatal("waiters or items changed")
	}
}

// TestQueueGoroutineTimeoutIsEmptyFull: a goroutine's Get or Put that a
// ctx deadline ends returns one error that matches ErrTimeout (and is a
// *TimeoutError) and also ErrQueueEmpty or ErrQueueFull, as Python's
// queue.Queue.get(timeout=) raises queue.Empty and put(timeout=) queue.Full.
// A cancelled ctx is no timeout: it matches ErrCancelled only. A task that
// times out gets ErrTimeout only, as asyncio.wait_for(q.get()) raises
// TimeoutError, not QueueEmpty.
func TestQueueGoroutineTimeoutIsEmptyFull(t *testing.T) {
	q := duet.NewQueue[int](1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := q.Get(ctx)
	var te *duet.TimeoutError
	if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, duet.ErrQueueEmpty) || errors.Is(err, duet.ErrQueueFull) || !errors.As(err, &te) {
		t.Fatalf("Get: %v; want an error matching ErrTimeout and ErrQueueEmpty", err)
	}
	q.TryPut(1)
	err = q.Put(ctx, 2)
	if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, duet.ErrQueueFull) || errors.Is(err, duet.ErrQueueEmpty) || !errors.As(err, &te) {
		t.Fatalf("Put: %v; want an error matching ErrTimeout and ErrQueueFull", err)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := q.Put(cctx, 2); !errors.Is(err, duet.ErrCancelled) || errors.Is(err, duet.ErrQueueFull) {
		t.Fatalf("Put, ctx cancelled: %v; want ErrCancelled only", err)
	}

	runLoop(t, func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { return q.Put(ctx, 2) })
		if !errors.Is(err, duet.ErrTimeout) || errors.Is(err, duet.ErrQueueFull) {
			return fmt.Errorf("task Put timed out: %v; want ErrTimeout only", err)
		}
		q.TryGet()
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error { _, err := q.Get(ctx); return err })
		if !errors.Is(err, duet.ErrTimeout) || errors.Is(err, duet.ErrQueueEmpty) {
			return fmt.Errorf("task Get timed out: %v; want ErrTimeout only", err)
		}
		return nil
	})
}

// TestQueueGoroutinesWakeOrder: goroutine getters are woken in arrival
// order, one per item. As in asyncio an item is not handed to the getter
// (it stays in the queue until a getter runs), so goroutines woken together
// take the items in the order they happen to run: every getter gets exactly
// one item.
func TestQueueGoroutinesWakeOrder(t *testing.T) {
	q := duet.NewQueue[int](0)
	var got [4]int
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := q.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}()
		waitUntil(t, "getter parked", func() bool { g, _, _ := duet.QueueWaiters(q); return g == i+1 })
	}
	// Each item wakes the oldest getter still waiting.
	for i := range 4 {
		q.TryPut(10 + i)
		if g, _, _ := duet.QueueWaiters(q); g != 3-i {
			t.Fatalf("after %d puts, %d getters wait", i+1, g)
		}
	}
	wg.Wait()
	s := got[:]
	slices.Sort(s)
	if !slices.Equal(s, []int{10, 11, 12, 13}) {
		t.Fatalf("got %v", got)
	}
}

// TestQueueMixed: producers and consumers among goroutines and the tasks
// of two loops share a bounded queue; some goroutine consumers give up on
// deadlines. Every item is received exactly once.
func TestQueueMixed(t *testing.T) {
	const perProducer = 2000
	q := duet.NewQueue[int](8)
	var seen [4 * perProducer]atomic.Int32
	var received atomic.Int64
	produce := func(ctx context.Context, base int) error {
		for i := range perProducer {
			if err := q.Put(ctx, base+i); err != nil {
				return err
			}
		}
		return nil
	}
	consume := func(ctx context.Context, deadlines bool) error {
		for i := 0; ; i++ {
			cctx, cancel := ctx, context.CancelFunc(func() {})
			if deadlines && i%5 == 0 {
				cctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Microsecond)
			}
			v, err := q.Get(cctx)
			cancel()
			if errors.Is(err, duet.ErrQueueShutDown) {
				return nil
			}
			if err != nil {
				if deadlines && (errors.Is(err, duet.ErrTimeout) || errors.Is(err, duet.ErrCancelled)) {
					continue
				}
				return err
			}
			seen[v].Add(1)
			received.Add(1)
			duet.Sleep(ctx, 0)
		}
	}
	var producers, consumers sync.WaitGroup
	errs := make(chan error, 16)
	for l := range 2 {
		producers.Add(1)
		consumers.Add(1)
		started := make(chan struct{})
		go func() {
			defer consumers.Done()
			errs <- aio.Run(context.Background(), func(ctx context.Context) error {
				p := spawn(ctx, "p", func(ctx context.Context) error { return produce(ctx, l*perProducer) })
				c := spawn(ctx, "c", func(ctx context.Context) error { return consume(ctx, false) })
				close(started)
				err := errOf(ctx, p)
				producers.Done()
				return errors.Join(err, errOf(ctx, c))
			})
		}()
		<-started
	}
	for g := range 2 {
		producers.Add(1)
		go func() { defer producers.Done(); errs <- produce(context.Background(), (2+g)*perProducer) }()
		consumers.Add(1)
		go func() { defer consumers.Done(); errs <- consume(context.Background(), g == 0) }()
	}
	producers.Wait()
	q.Shutdown(false) // consumers drain what is left, then stop
	consumers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if received.Load() != 4*perProducer {
		t.Fatalf("received %d of %d", received.Load(), 4*perProducer)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d received %d times", i, n)
		}
	}
}

// BenchmarkQueueTasks: items per second from one loop task to another
// through a Queue[int] (bounded, so the producer waits when it is full).
func BenchmarkQueueTasks(b *testing.B) {
	for _, size := range []int{1, 64, 1024, 0} {
		b.Run(fmt.Sprintf("maxsize=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			runLoop(b, func(ctx context.Context) error {
				q := duet.NewQueue[int](size)
				n := b.N
				b.ResetTimer()
				start := time.Now()
				prod := spawn(ctx, "producer", func(ctx context.Context) error {
					for i := range n {
						if err := q.Put(ctx, i); err != nil {
							return err
						}
					}
					return nil
				})
				cons := spawn(ctx, "consumer", func(ctx context.Context) error {
					for i := range n {
						v, err := q.Get(ctx)
						if err != nil {
							return err
						}
						if v != i {
							return fmt.Errorf("got %d, want %d", v, i)
						}
					}
					return nil
				})
				err := errors.Join(errOf(ctx, prod), errOf(ctx, cons))
				b.StopTimer()
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "items/s")
				return err
			})
		})
	}
}

// BenchmarkQueueGoroutines: items per second between two goroutines.
func BenchmarkQueueGoroutines(b *testing.B) {
	b.ReportAllocs()
	q := duet.NewQueue[int](1024)
	ctx := context.Background()
	start := time.Now()
	go func() {
		for i := range b.N {
			q.Put(ctx, i)
		}
	}()
	for range b.N {
		q.Get(ctx)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
}
