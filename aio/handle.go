package aio

import (
	"sync/atomic"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// Handle is a scheduled callback (Python: asyncio.Handle and TimerHandle).
// Cancel stops it from running if it has not run yet.
type Handle struct {
	fn    func()
	w     *park.Waiter // a sleeping task's waiter: woken instead of fn
	when  time.Time
	seq   uint64
	index int          // position in the timer heap; -1 when not in it
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
// goroutine.
func (h *Handle) Cancel() bool {
	if !h.state.CompareAndSwap(handlePending, handleCancelled) {
		return false
	}
	if !h.when.IsZero() && h.loop != nil {
		h.loop.timerCancelled()
	}
	return true
}

// Cancelled reports whether Cancel was called.
func (h *Handle) Cancelled() bool { return h.state.Load() == handleCancelled }

// claim marks the handle as run; false if it was cancelled first.
func (h *Handle) claim() bool { return h.state.CompareAndSwap(handlePending, handleRan) }

// When returns the time a timer handle is due on its loop's clock (zero for
// a plain callback).
func (h *Handle) When() time.Time { return h.when }

// timerHeap orders timers by deadline, then by scheduling order.
type timerHeap []*Handle

func (q timerHeap) less(i, j int) bool {
	if c := q[i].when.Compare(q[j].when); c != 0 {
		return c < 0
	}
	return q[i].seq < q[j].seq
}

func (q timerHeap) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *timerHeap) push(h *Handle) {
	h.index = len(*q)
	*q = append(*q, h)
	q.up(h.index)
}

func (q *timerHeap) pop() *Handle {
	old := *q
	n := len(old) - 1
	old.swap(0, n)
	h := old[n]
	old[n] = nil
	*q = old[:n]
	q.down(0)
	h.index = -1
	return h
}

func (q timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		j = i
	}
}

func (q timerHeap) down(i int) {
	n := len(q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && q.less(r, l) {
			j = r
		}
		if !q.less(j, i) {
			return
		}
		q.swap(i, j)
		i = j
	}
}

// compact drops cancelled timers and restores heap order.
func (q *timerHeap) compact() {
	old := *q
	n := 0
	for _, h := range old {
		if h.Cancelled() {
			h.index = -1
			continue
		}
		old[n] = h
		h.index = n
		n++
	}
	clear(old[n:])
	*q = old[:n]
	for i := n/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}
