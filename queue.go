package duet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/duet-go/duet/internal/park"
)

// ErrQueueEmpty is returned by TryGet on an empty queue. It is also matched
// by the error of a goroutine's Get that a ctx deadline ends (which matches
// ErrTimeout too), as queue.Queue.get(timeout=) raises queue.Empty.
// Python: asyncio.QueueEmpty, queue.Empty.
var ErrQueueEmpty = errors.New("duet: queue empty")

// ErrQueueFull is returned by TryPut on a full queue. It is also matched by
// the error of a goroutine's Put that a ctx deadline ends (which matches
// ErrTimeout too), as queue.Queue.put(timeout=) raises queue.Full.
// Python: asyncio.QueueFull, queue.Full.
var ErrQueueFull = errors.New("duet: queue full")

// ErrQueueShutDown is returned by the operations that Shutdown ends: every
// Put and TryPut after it, and Get and TryGet once the queue is empty. It
// also matches ErrClosed. Python 3.13: asyncio.QueueShutDown, queue.ShutDown.
var ErrQueueShutDown = fmt.Errorf("duet: queue shut down: %w", ErrClosed)

var (
	errTaskDoneTooMany   = fmt.Errorf("duet: Queue.TaskDone: %w: called more times than there were items put (call it once per item got)", ErrInvalidState)
	errPriorityQueueLess = errors.New("duet: NewPriorityQueue: nil less function (pass func(a, b T) bool reporting whether a comes out before b)")
)

type queueKind uint8

const (
	queueFIFO queueKind = iota
	queueLIFO
	queuePriority
)

// Queue is a queue of items shared by loop tasks and goroutines: the one
// queue of asyncio.Queue and queue.Queue (and, since both worlds may use it
// at once, of janus's mixed queue). Items come out first-in first-out
// (NewQueue), last-in first-out (NewLifoQueue) or smallest first
// (NewPriorityQueue).
//
// A bounded queue (maxsize > 0) makes Put wait while it is full; Get waits
// while it is empty. On a loop task waiting suspends the task, on a
// goroutine it blocks. Waiting getters and putters are served in arrival
// order and a cancelled waiter leaves no trace: items stay in the queue until
// a Get returns them, so none is lost, and a getter (or putter) woken and then
// cancelled before it ran passes its wake-up to the next one. As in asyncio,
// a woken waiter takes its item when it runs: the item is not reserved for
// it, so a TryGet (or a Get that finds the item) in between may take it
// first, and the woken getter then waits again, at the back of the line. For
// the same reason goroutine getters woken together take the items in the
// order they happen to run.
//
// Unfinished work is counted as in Python: every item put adds one, TaskDone
// removes one, Join waits for zero. Shutdown (Python 3.13) stops the queue.
//
// The zero Queue is an unbounded FIFO queue, ready to use. A Queue must not
// be copied after first use.
type Queue[T any] struct {
	mu      sync.Mutex
	kind    queueKind
	maxsize int
	less    func(a, b T) bool

	// Items. FIFO: a ring buffer of len(buf) slots holding n items from
	// head. LIFO and priority: buf[:n] (a stack, or a binary heap).
	buf  []T
	head int
	n    int

	getters    park.List
	putters    park.List
	joiners    park.List
	unfinished int
	shutdown   bool
}

// NewQueue returns a FIFO queue holding at most maxsize items; maxsize <= 0
// means unbounded. Python: asyncio.Queue(maxsize), queue.Queue(maxsize).
func NewQueue[T any](maxsize int) *Queue[T] {
	return &Queue[T]{kind: queueFIFO, maxsize: max(maxsize, 0)}
}

// NewLifoQueue returns a LIFO queue (a stack) holding at most maxsize items;
// maxsize <= 0 means unbounded. Python: asyncio.LifoQueue, queue.LifoQueue.
func NewLifoQueue[T any](maxsize int) *Queue[T] {
	return &Queue[T]{kind: queueLIFO, maxsize: max(maxsize, 0)}
}

// NewPriorityQueue returns a queue from which the smallest item, as ordered
// by less, comes out first; maxsize <= 0 means unbounded. Items that are
// equal under less come out in no particular order (like Python's heapq):
// add a sequence number to T to make them FIFO. less is called with the
// queue's internal lock held: it must not use the queue, and if it panics
// the panic reaches the caller of Put or Get. A nil less is an error.
// Python: asyncio.PriorityQueue, queue.PriorityQueue.
func NewPriorityQueue[T any](maxsize int, less func(a, b T) bool) (*Queue[T], error) {
	if less == nil {
		return nil, errPriorityQueueLess
	}
	return &Queue[T]{kind: queuePriority, maxsize: max(maxsize, 0), less: less}, nil
}

// Put adds v, waiting while the queue is full. It returns nil once v is in
// the queue.
//
// On a loop task it suspends the task; on a goroutine it blocks. It returns
// an error matching ErrCancelled (ErrTimeout for a deadline) when the waiting
// task is cancelled or ctx ends first (then v was not added), and
// ErrQueueShutDown after Shutdown, including for putters waiting when it is
// called. A Put that finds room does not look at ctx. On a goroutine, the
// error of a deadline also matches ErrQueueFull (queue.Full, what Python's
// put(timeout=) raises); on a task it is ErrTimeout only, as
// asyncio.wait_for(q.put(item)) raises TimeoutError.
//
// Python: await asyncio.Queue.put(item), queue.Queue.put(item, timeout=).
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	if ctx == nil {
		return nilCtx("Queue.Put")
	}
	q.mu.Lock()
	for {
		if q.shutdown {
			q.mu.Unlock()
			return ErrQueueShutDown
		}
		if !q.fullLocked() {
			break
		}
		w := park.NewWaiter(ctx).Labeled(labelQueuePut, q)
		q.putters.PushBack(w)
		q.mu.Unlock()
		woken, err := park.Wait(ctx, w, q.dropPutter)
		q.mu.Lock()
		q.putters.Remove(w)
		if err == nil {
			continue // woken: look again
		}
		if woken && !q.fullLocked() {
			q.putters.WakeFirst() // pass the wake-up on
		}
		q.mu.Unlock()
		return threadTimeout(w, err, ErrQueueFull)
	}
	q.pushLocked(v)
	q.unfinished++
	q.getters.WakeFirst()
	q.mu.Unlock()
	return nil
}

// TryPut adds v if there is room at once. It returns ErrQueueFull when the
// queue is full and ErrQueueShutDown after Shutdown. It never waits.
// Python: Queue.put_nowait(item).
func (q *Queue[T]) TryPut(v T) error {
	q.mu.Lock()
	if q.shutdown {
		q.mu.Unlock()
		return ErrQueueShutDown
	}
	if q.fullLocked() {
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.pushLocked(v)
	q.unfinished++
	q.getters.WakeFirst()
	q.mu.Unlock()
	return nil
}

// Get removes and returns the next item, waiting while the queue is empty.
//
// On a loop task it suspends the task; on a goroutine it blocks. It returns
// an error matching ErrCancelled (ErrTimeout for a deadline) when the waiting
// task is cancelled or ctx ends first (then no item was taken), and
// ErrQueueShutDown once the queue is shut down and empty (Shutdown(false)
// lets Get drain the items left; Shutdown(true) discards them). A Get that
// finds an item does not look at ctx. On a goroutine, the error of a
// deadline also matches ErrQueueEmpty (queue.Empty, what Python's
// get(timeout=) raises); on a task it is ErrTimeout only, as
// asyncio.wait_for(q.get()) raises TimeoutError.
//
// Python: await asyncio.Queue.get(), queue.Queue.get(timeout=).
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	if ctx == nil {
		var zero T
		return zero, nilCtx("Queue.Get")
	}
	q.mu.Lock()
	for q.n == 0 {
		if q.shutdown {
			q.mu.Unlock()
			var zero T
			return zero, ErrQueueShutDown
		}
		w := park.NewWaiter(ctx).Labeled(labelQueueGet, q)
		q.getters.PushBack(w)
		q.mu.Unlock()
		woken, err := park.Wait(ctx, w, q.dropGetter)
		q.mu.Lock()
		q.getters.Remove(w)
		if err == nil {
			continue // woken: look again
		}
		if woken && q.n > 0 {
			q.getters.WakeFirst() // the item is still there: pass the wake-up on
		}
		q.mu.Unlock()
		var zero T
		return zero, threadTimeout(w, err, ErrQueueEmpty)
	}
	v := q.popLocked()
	q.putters.WakeFirst()
	q.mu.Unlock()
	return v, nil
}

// TryGet removes and returns the next item if there is one. It returns
// ErrQueueEmpty when the queue is empty, or ErrQueueShutDown when it is empty
// and shut down. It never waits. Python: Queue.get_nowait().
func (q *Queue[T]) TryGet() (T, error) {
	q.mu.Lock()
	if q.n == 0 {
		err := ErrQueueEmpty
		if q.shutdown {
			err = ErrQueueShutDown
		}
		q.mu.Unlock()
		var zero T
		return zero, err
	}
	v := q.popLocked()
	q.putters.WakeFirst()
	q.mu.Unlock()
	return v, nil
}

// TaskDone marks one item got from the queue as processed; when every item
// put has been marked, Join returns. Calling it more times than items were
// put returns an error matching ErrInvalidState and changes nothing.
// Python: Queue.task_done() (ValueError when called too many times).
func (q *Queue[T]) TaskDone() error {
	q.mu.Lock()
	if q.unfinished <= 0 {
		q.mu.Unlock()
		return errTaskDoneTooMany
	}
	q.unfinished--
	var ws *park.Waiter
	if q.unfinished == 0 {
		ws = q.joiners.Detach()
	}
	q.mu.Unlock()
	park.WakeChain(ws)
	return nil
}

// Join waits until every item put has been marked done with TaskDone (at
// once if none is unfinished). On a loop task it suspends the task; on a
// goroutine it blocks. It returns an error matching ErrCancelled (ErrTimeout
// for a deadline) when the waiting task is cancelled or ctx ends first.
// Python: await asyncio.Queue.join(), queue.Queue.join().
func (q *Queue[T]) Join(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Queue.Join")
	}
	q.mu.Lock()
	if q.unfinished == 0 {
		q.mu.Unlock()
		return nil
	}
	w := park.NewWaiter(ctx).Labeled(labelQueueJoin, q)
	q.joiners.PushBack(w)
	q.mu.Unlock()
	woken, err := park.Wait(ctx, w, q.dropJoiner)
	if err != nil && !woken {
		q.mu.Lock()
		q.joiners.Remove(w)
		q.mu.Unlock()
	}
	return err
}

// dropGetter, dropPutter and dropJoiner remove the waiter of a task that is
// destroyed while it waits, passing on a wake-up it had received.
func (q *Queue[T]) dropGetter(w *park.Waiter) {
	q.mu.Lock()
	if !q.getters.Remove(w) && w.State() == park.Woken && q.n > 0 {
		q.getters.WakeFirst()
	}
	q.mu.Unlock()
}

func (q *Queue[T]) dropPutter(w *park.Waiter) {
	q.mu.Lock()
	if !q.putters.Remove(w) && w.State() == park.Woken && !q.fullLocked() {
		q.putters.WakeFirst()
	}
	q.mu.Unlock()
}

func (q *Queue[T]) dropJoiner(w *park.Waiter) {
	q.mu.Lock()
	q.joiners.Remove(w)
	q.mu.Unlock()
}

// Shutdown shuts the queue down (Python 3.13): from now on Put and TryPut
// fail with ErrQueueShutDown, and the putters waiting now are woken with it.
//
// With immediate false, Get and TryGet go on returning the items left and
// fail with ErrQueueShutDown once the queue is empty (getters waiting on an
// empty queue fail at once). With immediate true the items left are
// discarded, the unfinished-work count drops by their number (Join returns
// when it reaches zero), and every waiting getter fails.
//
// Shutdown never waits; calling it again is allowed (Shutdown(true) after
// Shutdown(false) discards what is left). Python: Queue.shutdown(immediate).
func (q *Queue[T]) Shutdown(immediate bool) {
	q.mu.Lock()
	q.shutdown = true
	var joiners *park.Waiter
	if immediate {
		q.unfinished -= min(q.n, q.unfinished)
		clear(q.buf)
		q.head, q.n = 0, 0
		if q.unfinished == 0 {
			joiners = q.joiners.Detach()
		}
	}
	getters := q.getters.Detach()
	putters := q.putters.Detach()
	q.mu.Unlock()
	park.WakeChain(getters)
	park.WakeChain(putters)
	park.WakeChain(joiners)
}

// Len returns the number of items in the queue. Python: Queue.qsize().
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Empty reports whether the queue holds no item. Python: Queue.empty().
func (q *Queue[T]) Empty() bool { return q.Len() == 0 }

// Full reports whether the queue holds maxsize items (never, if unbounded).
// Python: Queue.full().
func (q *Queue[T]) Full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.fullLocked()
}

// Cap returns the queue's maxsize, 0 for an unbounded queue.
// Python: Queue.maxsize.
func (q *Queue[T]) Cap() int { return q.maxsize }

func (q *Queue[T]) fullLocked() bool { return q.maxsize > 0 && q.n >= q.maxsize }

// pushLocked adds v to the store.
func (q *Queue[T]) pushLocked(v T) {
	if q.n == len(q.buf) {
		q.resizeLocked(q.growCap())
	}
	switch q.kind {
	case queueFIFO:
		i := q.head + q.n
		if i >= len(q.buf) {
			i -= len(q.buf)
		}
		q.buf[i] = v
		q.n++
	case queueLIFO:
		q.buf[q.n] = v
		q.n++
	default:
		q.buf[q.n] = v
		q.n++
		q.heapUp(q.n - 1)
	}
}

// popLocked removes and returns the next item; the store is not empty.
func (q *Queue[T]) popLocked() T {
	var zero, v T
	switch q.kind {
	case queueFIFO:
		v = q.buf[q.head]
		q.buf[q.head] = zero
		q.head++
		if q.head == len(q.buf) {
			q.head = 0
		}
		q.n--
		if q.n == 0 {
			q.head = 0
		}
	case queueLIFO:
		q.n--
		v = q.buf[q.n]
		q.buf[q.n] = zero
	default:
		v = q.buf[0]
		q.n--
		q.buf[0] = q.buf[q.n]
		q.buf[q.n] = zero
		if q.n > 0 {
			q.heapDown(0)
		}
	}
	// An unbounded queue gives memory back after a burst. The thresholds
	// keep the amortised cost O(1) and leave a steady flow (and any
	// bounded queue, whose size is capped anyway) allocation-free.
	if c := len(q.buf); q.maxsize == 0 && c > 1024 && q.n < c/8 {
		q.resizeLocked(c / 2)
	}
	return v
}

func (q *Queue[T]) growCap() int {
	c := 2 * len(q.buf)
	if c < 8 {
		c = 8
	}
	if q.maxsize > 0 && c > q.maxsize {
		c = q.maxsize
	}
	return c
}

// resizeLocked moves the items into a buffer of c slots (c >= n), in order.
func (q *Queue[T]) resizeLocked(c int) {
	nb := make([]T, c)
	if q.kind == queueFIFO {
		k := copy(nb, q.buf[q.head:min(q.head+q.n, len(q.buf))])
		copy(nb[k:], q.buf[:q.n-k])
		q.head = 0
	} else {
		copy(nb, q.buf[:q.n])
	}
	q.buf = nb
}

// unlockOnPanic keeps a panicking less function from leaving the queue
// locked: the panic goes on to the caller of Put, Get or Shutdown.
func (q *Queue[T]) unlockOnPanic() {
	if r := recover(); r != nil {
		q.mu.Unlock()
		panic(r)
	}
}

func (q *Queue[T]) heapUp(j int) {
	defer q.unlockOnPanic()
	for j > 0 {
		i := (j - 1) / 2
		if !q.less(q.buf[j], q.buf[i]) {
			return
		}
		q.buf[i], q.buf[j] = q.buf[j], q.buf[i]
		j = i
	}
}

func (q *Queue[T]) heapDown(i int) {
	defer q.unlockOnPanic()
	for {
		l := 2*i + 1
		if l >= q.n {
			return
		}
		j := l
		if r := l + 1; r < q.n && q.less(q.buf[r], q.buf[l]) {
			j = r
		}
		if !q.less(q.buf[j], q.buf[i]) {
			return
		}
		q.buf[i], q.buf[j] = q.buf[j], q.buf[i]
		i = j
	}
}

var (
	labelQueuePut  = park.NewLabel("Queue.Put")
	labelQueueGet  = park.NewLabel("Queue.Get")
	labelQueueJoin = park.NewLabel("Queue.Join")
)
