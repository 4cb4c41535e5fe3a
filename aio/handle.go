package aio

import (
	"sync/atomic"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// Handle is a scheduled callback (Python: asyncio.Handle and TimerHandle).
// Cancel stops it from running if it has not run yet. Its methods are safe
// from any goroutine, and on a nil *Handle (what CallSoon and friends
// return with an error), which behaves as a callback that never ran and
// cannot be cancelled.
type Handle struct {
	fn    func()
	w     *park.Waiter // a sleeping task's waiter: woken instead of fn
	when  time.Time
	state atomic.Int32 // handlePending, handleRan or handleCancelled
	loop  *Loop
}

const (
	handlePending int32 = iota
	handleRan
	handleCancelled
)

// Cancel prevents the callback from running; it reports false when the
// callback already ran or the handle was already cancelled. Safe from any
// goroutine; false on a nil handle.
func (h *Handle) Cancel() bool {
	if h == nil || !h.state.CompareAndSwap(handlePending, handleCancelled) {
		return false
	}
	if !h.when.IsZero() && h.loop != nil {
		h.loop.timerCancelled()
	}
	return true
}

// Cancelled reports whether Cancel was called (and succeeded); false on a
// nil handle.
func (h *Handle) Cancelled() bool { return h != nil && h.state.Load() == handleCancelled }

// claim marks the handle as run; false if it was cancelled first.
func (h *Handle) claim() bool { return h.state.CompareAndSwap(handlePending, handleRan) }

// When returns the time a timer handle is due on its loop's clock (zero for
// a plain callback or a nil handle).
func (h *Handle) When() time.Time {
	if h == nil {
		return time.Time{}
	}
	return h.when
}

// timerEntry is a timer in the heap: its deadline is kept inline (in
// nanoseconds of the loop's clock) so that heap operations compare integers
// without touching the handles.
type timerEntry struct {
	when int64
	seq  uint64
	h    *Handle
}

// timerHeap orders timers by deadline, then by scheduling order.
type timerHeap []timerEntry

func (q timerHeap) less(i, j int) bool {
	if q[i].when != q[j].when {
		return q[i].when < q[j].when
	}
	return q[i].seq < q[j].seq
}

func (q *timerHeap) push(e timerEntry) {
	*q = append(*q, e)
	q.up(len(*q) - 1)
}

func (q *timerHeap) pop() timerEntry {
	old := *q
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	e := old[n]
	old[n] = timerEntry{}
	*q = old[:n]
	q.down(0)
	return e
}

// The heap is 4-ary: half the depth of a binary heap, so a push or pop on a
// loop with 100,000 sleeping tasks touches half as many cache lines.
const heapArity = 4

func (q timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / heapArity
		if !q.less(j, i) {
			break
		}
		q[i], q[j] = q[j], q[i]
		j = i
	}
}

func (q timerHeap) down(i int) {
	n := len(q)
	for {
		first := heapArity*i + 1
		if first >= n {
			return
		}
		j := first
		for c := first + 1; c < first+heapArity && c < n; c++ {
			if q.less(c, j) {
				j = c
			}
		}
		if !q.less(j, i) {
			return
		}
		q[i], q[j] = q[j], q[i]
		i = j
	}
}

// compact drops cancelled timers and restores heap order.
func (q *timerHeap) compact() {
	old := *q
	n := 0
	for _, e := range old {
		if !e.h.Cancelled() {
			old[n] = e
			n++
		}
	}
	clear(old[n:])
	*q = old[:n]
	for i := (n - 2) / heapArity; i >= 0; i-- {
		q.down(i)
	}
}
