package aio

import "time"

// CallLater schedules fn to run d from now on the loop's clock (Python:
// loop.call_later). d <= 0 runs it in the next iteration's timer phase.
// Errors and safety are CallSoon's.
func (l *Loop) CallLater(d time.Duration, fn func()) (*Handle, error) {
	if fn == nil {
		return nil, nilCallback("CallLater")
	}
	return l.CallAt(l.clock.Now().Add(d), fn)
}

// CallAt schedules fn to run when the loop's clock reaches when (Python:
// loop.call_at). Timers due at the same instant run in scheduling order.
// Errors and safety are CallSoon's.
func (l *Loop) CallAt(when time.Time, fn func()) (*Handle, error) {
	if fn == nil {
		return nil, nilCallback("CallAt")
	}
	h := &Handle{fn: fn, when: when, loop: l}
	if !l.addTimer(h) {
		return nil, errLoopClosed
	}
	return h, nil
}

func (l *Loop) addTimer(h *Handle) bool {
	l.mu.Lock()
	if l.state.Load() == loopClosed {
		l.mu.Unlock()
		return false
	}
	l.timerSeq++
	l.timers.push(timerEntry{when: l.nanos(h.when), seq: l.timerSeq, h: h})
	if l.timers[0].h == h {
		l.signalLocked()
	}
	l.mu.Unlock()
	return true
}

func (l *Loop) timerCancelled() {
	l.cancelledTimers.Add(1)
}

// readyTimersLocked appends the timers that are due to this iteration's
// ready items, after those that were scheduled, as CPython's _run_once
// does; cancelled ones are dropped on the way, and the whole heap is
// compacted when they have come to outnumber the live ones. l.mu is held.
func (l *Loop) readyTimersLocked() {
	if n := l.cancelledTimers.Load(); n > 100 && int(n) > len(l.timers)/2 {
		l.timers.compact()
		l.cancelledTimers.Store(0)
	}
	if len(l.timers) > 0 {
		now := l.nanos(l.clock.Now())
		for len(l.timers) > 0 && l.timers[0].when <= now {
			h := l.timers.pop().h
			if h.Cancelled() {
				l.cancelledTimers.Add(-1)
				continue
			}
			l.ready = append(l.ready, entry{h: h})
		}
	}
}

// nextTimerLocked returns the deadline of the earliest timer, zero when
// there is none. Cancelled timers at the top are dropped first: they would
// wake the loop for nothing, or make a virtual clock jump to a deadline
// nobody waits for (CPython pops them first too). l.mu is held.
func (l *Loop) nextTimerLocked() time.Time {
	for len(l.timers) > 0 && l.timers[0].h.Cancelled() {
		l.timers.pop()
		l.cancelledTimers.Add(-1)
	}
	if len(l.timers) == 0 {
		return time.Time{}
	}
	return l.timers[0].h.when
}

// timerDueLocked tells whether a timer is due (or a cancelled one awaits
// removal at the top of the heap). l.mu is held.
func (l *Loop) timerDueLocked() bool {
	return len(l.timers) > 0 && l.timers[0].when <= l.nanos(l.clock.Now())
}

// nanos expresses t as nanoseconds since the loop's epoch (monotonic for
// the real clock).
func (l *Loop) nanos(t time.Time) int64 { return int64(t.Sub(l.epoch)) }

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

// before reports whether a is due before b.
func (a *timerEntry) before(b *timerEntry) bool {
	if a.when != b.when {
		return a.when < b.when
	}
	return a.seq < b.seq
}

func (q timerHeap) less(i, j int) bool { return q[i].before(&q[j]) }

// push adds e.
func (q *timerHeap) push(e timerEntry) {
	*q = append(*q, e)
	q.climb(len(*q)-1, e)
}

// climb puts e into the hole at i, or higher: the parents e precedes move
// down into the hole as it climbs, one write per level instead of a swap.
func (q timerHeap) climb(i int, e timerEntry) {
	for i > 0 {
		p := (i - 1) / heapArity
		if !e.before(&q[p]) {
			break
		}
		q[i] = q[p]
		i = p
	}
	q[i] = e
}

// pop removes the earliest timer. The last entry, which refills the root,
// is one of the latest timers and belongs near the bottom again, so pop
// walks the root's hole down to a leaf along the earliest children without
// comparing it with them, then lets it climb back the little way it needs
// (Floyd's bottom-up sift): per level one comparison fewer than a plain
// sift-down, which matters with 100,000 sleeping tasks popped in a row.
func (q *timerHeap) pop() timerEntry {
	h := *q
	n := len(h) - 1
	top, last := h[0], h[n]
	h[n] = timerEntry{}
	h = h[:n]
	*q = h
	if n == 0 {
		return top
	}
	i := 0
	for {
		first := heapArity*i + 1
		if first >= n {
			break
		}
		j := first
		for c := first + 1; c < first+heapArity && c < n; c++ {
			if h[c].before(&h[j]) {
				j = c
			}
		}
		h[i] = h[j]
		i = j
	}
	h.climb(i, last)
	return top
}

// The heap is 4-ary: half the depth of a binary heap, so a push or pop on a
// loop with 100,000 sleeping tasks touches half as many cache lines.
const heapArity = 4

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
