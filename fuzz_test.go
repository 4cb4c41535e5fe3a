package duet_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// The fuzz targets drive a Lock, a Semaphore and a Queue with random
// sequences of operations from loop tasks (acquire, release, put, get,
// try-variants, cancel, timeout, yield, advance the virtual clock) and
// check every observed event against a small reference model: mutual
// exclusion or the permit bound, FIFO service of waiters that were not
// cancelled, FIFO order of items, and at the end that no waiter is stuck
// while it could proceed (no lost wake-up), no item or permit was lost,
// and the primitive is left clean. The loop's virtual clock makes each run
// deterministic. Plain `go test` runs the seeds; `go test -fuzz FuzzLock`
// (or FuzzSemaphore, FuzzQueue) explores.

// fuzzOps reads a byte string as operation codes and arguments.
type fuzzOps struct {
	data []byte
	i    int
}

func (o *fuzzOps) more() bool { return o.i < len(o.data) }

func (o *fuzzOps) next() int {
	if o.i >= len(o.data) {
		return 0
	}
	b := o.data[o.i]
	o.i++
	return int(b)
}

// fuzzChecker records the first violation.
type fuzzChecker struct {
	t      *testing.T
	failed bool
}

func (c *fuzzChecker) check(ok bool, format string, args ...any) {
	if !ok && !c.failed {
		c.failed = true
		c.t.Errorf(format, args...)
	}
}

type waiterState int

const (
	wsStarting waiterState = iota // spawned, not yet running
	wsWaiting                     // inside Acquire/Get/Put
	wsHolding                     // holds the lock or a permit
	wsDone                        // finished successfully
	wsFailed                      // its wait returned an error
)

// fuzzWaiter is one task of a fuzz run.
type fuzzWaiter struct {
	id        int
	kind      byte // 'a' acquirer, 'g' getter, 'p' putter
	state     waiterState
	cancelReq bool
	task      *aio.Task[struct{}]
	release   duet.Event // tells a holder to release
	item      int        // a putter's item
}

// fuzzWorld is the shared part of the three harnesses.
type fuzzWorld struct {
	c        *fuzzChecker
	arrivals []*fuzzWaiter // in the order their waits started
	all      []*fuzzWaiter
}

// waiting returns the waiters of kind that are inside their wait.
func (w *fuzzWorld) waiting(kind byte) []*fuzzWaiter {
	var out []*fuzzWaiter
	for _, x := range w.all {
		if x.kind == kind && x.state == wsWaiting {
			out = append(out, x)
		}
	}
	return out
}

// pending returns the waiters of kind that wait or have not started yet:
// the ones a cancellation can still stop.
func (w *fuzzWorld) pending(kind byte) []*fuzzWaiter {
	var out []*fuzzWaiter
	for _, x := range w.all {
		if x.kind == kind && (x.state == wsWaiting || x.state == wsStarting) {
			out = append(out, x)
		}
	}
	return out
}

// overtakes reports whether a waiter of kind that started waiting before
// x is still waiting with no cancellation requested: then x must not have
// been served yet (FIFO).
func (w *fuzzWorld) overtakes(x *fuzzWaiter) *fuzzWaiter {
	for _, y := range w.arrivals {
		if y == x {
			return nil
		}
		if y.kind == x.kind && y.state == wsWaiting && !y.cancelReq {
			return y
		}
	}
	return nil
}

// cancel requests the cancellation of a waiter, as a task cancel.
func (w *fuzzWorld) cancel(x *fuzzWaiter) {
	if x.state == wsWaiting || x.state == wsStarting {
		x.cancelReq = true
	}
	x.task.Cancel("fuzz")
}

// timeout arms a virtual-clock timer that cancels x if it still waits:
// an asyncio-style timeout around its wait.
func (w *fuzzWorld) timeout(ctx context.Context, x *fuzzWaiter, d time.Duration) {
	spawn(ctx, "timer", func(ctx context.Context) error {
		duet.Sleep(ctx, d)
		if x.state == wsWaiting {
			w.cancel(x)
		}
		return nil
	})
}

func (w *fuzzWorld) finished() bool {
	for _, x := range w.all {
		if !x.task.IsDone() {
			return false
		}
	}
	return true
}

// ---- Lock ----

func FuzzLock(f *testing.F) {
	f.Add([]byte{0, 0, 0, 5, 2, 5, 2, 5, 2, 5})
	f.Add([]byte{3, 0, 0, 0, 5, 4, 1, 2, 4, 0, 5, 2, 5})
	f.Add([]byte{0, 5, 0, 0, 5, 2, 4, 0, 5, 5, 2, 3, 2})
	f.Add([]byte{1, 2, 1, 3, 0, 5, 6, 3, 2, 7, 5, 6, 9, 2})
	f.Add([]byte{0, 0, 0, 0, 5, 2, 4, 1, 4, 0, 7, 5, 3, 2, 6, 4})
	f.Add([]byte{3, 2, 2, 0, 1, 1, 5, 1, 6, 2, 5, 5, 2, 6, 7})
	f.Add([]byte{3, 0, 0, 5, 1, 2, 4, 0}) // woken, then cancelled
	f.Add([]byte("C00%12$"))              // found by the fuzzer
	fuzzModel(f, fuzzLock)
}

// fuzzModel fuzzes a primitive against its reference model: run plays the
// operations the input encodes (at most 400 bytes of them) on a fresh loop
// with a virtual clock.
func fuzzModel(f *testing.F, run func(ctx context.Context, t *testing.T, ops *fuzzOps)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 400 {
			data = data[:400]
		}
		runLoop(t, func(ctx context.Context) error {
			run(ctx, t, &fuzzOps{data: data})
			return nil
		})
	})
}

func fuzzLock(ctx context.Context, t *testing.T, ops *fuzzOps) {
	c := &fuzzChecker{t: t}
	w := &fuzzWorld{c: c}
	var l duet.Lock
	const none, driver = -1, -2
	holder := none

	newAcquirer := func() *fuzzWaiter {
		x := &fuzzWaiter{id: len(w.all), kind: 'a'}
		w.all = append(w.all, x)
		x.task = spawn(ctx, fmt.Sprint("a", x.id), func(ctx context.Context) error {
			x.state = wsWaiting
			w.arrivals = append(w.arrivals, x)
			if err := l.Acquire(ctx); err != nil {
				x.state = wsFailed
				c.check(x.cancelReq, "acquirer %d failed without a cancellation: %v", x.id, err)
				c.check(errors.Is(err, duet.ErrCancelled), "acquirer %d: %v", x.id, err)
				return nil
			}
			c.check(holder == none, "acquirer %d got the lock while %d holds it", x.id, holder)
			if y := w.overtakes(x); y != nil {
				c.check(false, "acquirer %d overtook waiter %d (FIFO)", x.id, y.id)
			}
			holder = x.id
			x.state = wsHolding
			x.release.Wait(ctx) // a cancel here just makes it release
			holder = none
			x.state = wsDone
			c.check(l.Release() == nil, "holder %d could not release", x.id)
			return nil
		})
		return x
	}

	release := func() {
		switch {
		case holder == driver:
			c.check(l.Release() == nil, "driver release failed")
			holder = none
		case holder >= 0:
			w.all[holder].release.Set()
		default:
			err := l.Release()
			c.check(errors.Is(err, duet.ErrInvalidState), "Release of a lock nobody holds: %v", err)
		}
	}

	for ops.more() && !c.failed {
		c.check(l.Locked() == (holder != none), "Locked()=%v but holder=%d", l.Locked(), holder)
		switch op := ops.next() % 8; op {
		case 0:
			newAcquirer()
		case 1:
			x := newAcquirer()
			w.timeout(ctx, x, time.Duration(1+ops.next()%4)*time.Millisecond)
		case 2:
			release()
		case 3:
			live := false
			for _, x := range w.waiting('a') {
				if !x.cancelReq {
					live = true
				}
			}
			wantFree := holder == none && len(w.waiting('a')) == 0
			got := l.TryAcquire()
			if got {
				c.check(holder == none, "TryAcquire succeeded while %d holds the lock", holder)
				c.check(!live, "TryAcquire barged past a waiter")
				holder = driver
			} else {
				c.check(!wantFree, "TryAcquire failed on a free lock with no waiter")
			}
		case 4:
			if ws := w.pending('a'); len(ws) > 0 {
				w.cancel(ws[ops.next()%len(ws)])
			}
		case 5:
			yield(ctx, ops.next()%4)
		case 6:
			duet.Sleep(ctx, time.Duration(ops.next()%5)*time.Millisecond)
		case 7:
			if holder >= 0 {
				w.all[holder].task.Cancel("fuzz: holder")
			}
		}
	}

	// Drain: keep releasing; every waiter not cancelled must get the lock.
	for range 10000 {
		if w.finished() || c.failed {
			break
		}
		if holder != none {
			release()
		}
		yield(ctx, 1)
	}
	c.check(w.finished(), "stuck waiters: a wake-up was lost")
	for _, x := range w.all {
		c.check(x.cancelReq || x.state == wsDone, "acquirer %d (not cancelled) ended in state %d", x.id, x.state)
	}
	if holder == driver {
		l.Release()
	}
	c.check(!l.Locked() && duet.LockWaiters(&l) == 0, "lock not left clean: locked=%v waiters=%d", l.Locked(), duet.LockWaiters(&l))
}

// ---- Semaphore ----

func FuzzSemaphore(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 5, 2, 5, 2, 2, 5})
	f.Add([]byte{1, 0, 0, 0, 0, 5, 4, 1, 2, 4, 0, 5, 2, 5})
	f.Add([]byte{2, 3, 3, 0, 0, 0, 0, 5, 2, 4, 2, 5, 5, 2, 3, 2})
	f.Add([]byte{0, 1, 2, 1, 3, 0, 5, 6, 3, 2, 7, 5, 6, 9, 2})
	f.Add([]byte{1, 0, 0, 0, 5, 2, 4, 1, 2, 4, 0, 7, 5, 3, 2, 6, 4})
	f.Add([]byte{0, 3, 0, 0, 5, 1, 2, 0, 4, 0}) // granted, then cancelled
	f.Add([]byte{0, 0, 0, 5, 1, 4, 0, 3, 2, 0}) // cancelled, then released
	fuzzModel(f, fuzzSemaphore)
}

func fuzzSemaphore(ctx context.Context, t *testing.T, ops *fuzzOps) {
	c := &fuzzChecker{t: t}
	w := &fuzzWorld{c: c}
	permits := 1 + ops.next()%3
	s, _ := duet.NewSemaphore(permits)
	var holders []*fuzzWaiter // tasks holding a permit, oldest first
	driverHeld := 0

	newAcquirer := func() *fuzzWaiter {
		x := &fuzzWaiter{id: len(w.all), kind: 'a'}
		w.all = append(w.all, x)
		x.task = spawn(ctx, fmt.Sprint("a", x.id), func(ctx context.Context) error {
			x.state = wsWaiting
			w.arrivals = append(w.arrivals, x)
			if err := s.Acquire(ctx); err != nil {
				x.state = wsFailed
				c.check(x.cancelReq, "acquirer %d failed without a cancellation: %v", x.id, err)
				return nil
			}
			c.check(len(holders)+driverHeld < permits, "acquirer %d exceeds %d permits", x.id, permits)
			if y := w.overtakes(x); y != nil {
				c.check(false, "acquirer %d overtook waiter %d (FIFO)", x.id, y.id)
			}
			holders = append(holders, x)
			x.state = wsHolding
			x.release.Wait(ctx)
			for i, h := range holders {
				if h == x {
					holders = append(holders[:i], holders[i+1:]...)
					break
				}
			}
			x.state = wsDone
			s.Release()
			return nil
		})
		return x
	}
	release := func(i int) {
		if driverHeld > 0 && (len(holders) == 0 || i%2 == 0) {
			driverHeld--
			s.Release()
			return
		}
		if len(holders) > 0 {
			holders[i%len(holders)].release.Set()
		}
	}

	for ops.more() && !c.failed {
		if len(holders)+driverHeld == permits {
			c.check(s.Locked(), "all %d permits held but not Locked()", permits)
		}
		switch op := ops.next() % 8; op {
		case 0:
			newAcquirer()
		case 1:
			x := newAcquirer()
			w.timeout(ctx, x, time.Duration(1+ops.next()%4)*time.Millisecond)
		case 2:
			release(ops.next())
		case 3:
			live := false
			for _, x := range w.waiting('a') {
				if !x.cancelReq {
					live = true
				}
			}
			wantFree := len(holders)+driverHeld < permits && len(w.waiting('a')) == 0
			if s.TryAcquire() {
				c.check(len(holders)+driverHeld < permits, "TryAcquire exceeded %d permits", permits)
				c.check(!live, "TryAcquire barged past a waiter")
				driverHeld++
			} else {
				c.check(!wantFree, "TryAcquire failed with a free permit and no waiter")
			}
		case 4:
			if ws := w.pending('a'); len(ws) > 0 {
				w.cancel(ws[ops.next()%len(ws)])
			}
		case 5:
			yield(ctx, ops.next()%4)
		case 6:
			duet.Sleep(ctx, time.Duration(ops.next()%5)*time.Millisecond)
		case 7:
			if len(holders) > 0 {
				holders[ops.next()%len(holders)].task.Cancel("fuzz: holder")
			}
		}
	}

	for range 10000 {
		if w.finished() || c.failed {
			break
		}
		release(0)
		yield(ctx, 1)
	}
	c.check(w.finished(), "stuck waiters: a wake-up or permit was lost")
	for _, x := range w.all {
		c.check(x.cancelReq || x.state == wsDone, "acquirer %d (not cancelled) ended in state %d", x.id, x.state)
	}
	for ; driverHeld > 0; driverHeld-- {
		s.Release()
	}
	for i := range permits {
		c.check(s.TryAcquire(), "permit %d of %d lost", i+1, permits)
	}
	c.check(!s.TryAcquire(), "a permit was created")
	c.check(duet.SemaphoreWaiters(s) == 0, "waiters left")
}

// ---- Queue ----

func FuzzQueue(f *testing.F) {
	f.Add([]byte{1, 0, 0, 1, 1, 1, 5, 2, 5, 3, 3, 5})
	f.Add([]byte{2, 1, 1, 1, 1, 5, 0, 0, 5, 4, 0, 5, 3, 5})
	f.Add([]byte{0, 0, 0, 0, 5, 1, 4, 1, 5, 1, 1, 6, 2, 3})
	f.Add([]byte{1, 1, 1, 1, 1, 8, 5, 4, 1, 5, 9, 2, 0, 0, 0, 5, 4, 2, 5, 7, 3})
	f.Add([]byte{3, 0, 0, 0, 2, 3, 5, 1, 4, 0, 5, 0, 7, 7, 7, 5, 9, 1, 6, 3})
	f.Add([]byte{0, 0, 0, 5, 1, 4, 7, 0})    // getter woken, then cancelled
	f.Add([]byte{1, 4, 1, 1, 5, 1, 3, 7, 0}) // putter woken, then cancelled
	fuzzModel(f, fuzzQueue)
}

func fuzzQueue(ctx context.Context, t *testing.T, ops *fuzzOps) {
	c := &fuzzChecker{t: t}
	w := &fuzzWorld{c: c}
	maxsize := ops.next() % 4 // 0: unbounded
	q := duet.NewQueue[int](maxsize)
	var model []int // the queue's items, oldest first
	nextItem := 0
	putOK, gotOK := 0, 0
	unfinished := 0

	got := func(who string, v int) {
		if c.check(len(model) > 0, "%s got %d from an empty model", who, v); len(model) == 0 {
			return
		}
		c.check(v == model[0], "%s got %d, want %d (FIFO)", who, v, model[0])
		model = model[1:]
		gotOK++
	}
	put := func(v int) {
		model = append(model, v)
		putOK++
		unfinished++
		c.check(maxsize == 0 || len(model) <= maxsize, "queue holds %d items, maxsize %d", len(model), maxsize)
	}
	newGetter := func() *fuzzWaiter {
		x := &fuzzWaiter{id: len(w.all), kind: 'g'}
		w.all = append(w.all, x)
		x.task = spawn(ctx, fmt.Sprint("g", x.id), func(ctx context.Context) error {
			x.state = wsWaiting
			w.arrivals = append(w.arrivals, x)
			v, err := q.Get(ctx)
			if err != nil {
				x.state = wsFailed
				c.check(x.cancelReq && errors.Is(err, duet.ErrCancelled), "getter %d: %v", x.id, err)
				return nil
			}
			got(fmt.Sprint("getter ", x.id), v)
			x.state = wsDone
			return nil
		})
		return x
	}
	newPutter := func() *fuzzWaiter {
		x := &fuzzWaiter{id: len(w.all), kind: 'p', item: nextItem}
		nextItem++
		w.all = append(w.all, x)
		x.task = spawn(ctx, fmt.Sprint("p", x.id), func(ctx context.Context) error {
			x.state = wsWaiting
			w.arrivals = append(w.arrivals, x)
			if err := q.Put(ctx, x.item); err != nil {
				x.state = wsFailed
				c.check(x.cancelReq && errors.Is(err, duet.ErrCancelled), "putter %d: %v", x.id, err)
				return nil
			}
			// Getters and putters are woken in FIFO order, but (as in
			// asyncio) an item or a free slot is not reserved for the woken
			// one: a TryGet or TryPut, or a newcomer that finds room, may
			// take it first, and the woken waiter queues again. So there is
			// no overtaking check for the queue; items are checked instead.
			put(x.item)
			x.state = wsDone
			return nil
		})
		return x
	}

	for ops.more() && !c.failed {
		c.check(q.Len() == len(model), "Len()=%d, model %d", q.Len(), len(model))
		switch op := ops.next() % 10; op {
		case 0:
			newGetter()
		case 1:
			newPutter()
		case 2:
			var x *fuzzWaiter
			if ops.next()%2 == 0 {
				x = newGetter()
			} else {
				x = newPutter()
			}
			w.timeout(ctx, x, time.Duration(1+ops.next()%4)*time.Millisecond)
		case 3:
			v, err := q.TryGet()
			if len(model) == 0 {
				c.check(errors.Is(err, duet.ErrQueueEmpty), "TryGet on empty: %d, %v", v, err)
			} else if c.check(err == nil, "TryGet with %d items: %v", len(model), err); err == nil {
				got("TryGet", v)
			}
		case 4:
			v := nextItem
			nextItem++
			err := q.TryPut(v)
			if maxsize > 0 && len(model) >= maxsize {
				c.check(errors.Is(err, duet.ErrQueueFull), "TryPut on full: %v", err)
			} else if c.check(err == nil, "TryPut with room: %v", err); err == nil {
				put(v)
			}
		case 5:
			yield(ctx, ops.next()%4)
		case 6:
			duet.Sleep(ctx, time.Duration(ops.next()%5)*time.Millisecond)
		case 7:
			var ws []*fuzzWaiter
			ws = append(w.pending('g'), w.pending('p')...)
			if len(ws) > 0 {
				w.cancel(ws[ops.next()%len(ws)])
			}
		case 8:
			err := q.TaskDone()
			if unfinished == 0 {
				c.check(errors.Is(err, duet.ErrInvalidState), "TaskDone at zero: %v", err)
			} else {
				c.check(err == nil, "TaskDone: %v", err)
				unfinished--
			}
		case 9:
			c.check(q.Full() == (maxsize > 0 && len(model) >= maxsize), "Full()=%v with %d items", q.Full(), len(model))
			c.check(q.Empty() == (len(model) == 0), "Empty()=%v with %d items", q.Empty(), len(model))
		}
	}

	// Drain: feed waiting getters and make room for waiting putters; every
	// waiter not cancelled must finish.
	for range 10000 {
		if w.finished() || c.failed {
			break
		}
		if len(w.waiting('g')) > 0 && len(model) == 0 {
			if q.TryPut(nextItem) == nil {
				put(nextItem)
			}
			nextItem++
		}
		if len(w.waiting('p')) > 0 && maxsize > 0 && len(model) >= maxsize {
			if v, err := q.TryGet(); err == nil {
				got("drain", v)
			}
		}
		yield(ctx, 1)
	}
	c.check(w.finished(), "stuck waiters: a wake-up was lost")
	for _, x := range w.all {
		c.check(x.cancelReq || x.state == wsDone, "%c%d (not cancelled) ended in state %d", x.kind, x.id, x.state)
	}
	// No item lost or duplicated: what is left is exactly the model.
	for len(model) > 0 && !c.failed {
		v, err := q.TryGet()
		if c.check(err == nil, "item lost: %d left in the model, TryGet: %v", len(model), err); err != nil {
			break
		}
		got("final", v)
	}
	_, err := q.TryGet()
	c.check(errors.Is(err, duet.ErrQueueEmpty), "extra item in the queue: %v", err)
	c.check(putOK == gotOK, "put %d items, got %d", putOK, gotOK)
	g, p, _ := duet.QueueWaiters(q)
	c.check(g+p == 0, "waiters left: %d getters, %d putters", g, p)
}
