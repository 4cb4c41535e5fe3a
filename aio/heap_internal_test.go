package aio

import (
	"math/rand/v2"
	"testing"
)

// TestTimerHeapOrderAfterCompact checks the 4-ary heap against sorting,
// through pushes, lazy cancellation and compaction.
func TestTimerHeapOrderAfterCompact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var q timerHeap
	var seq uint64
	for range 2000 {
		seq++
		q.push(timerEntry{when: rng.Int64N(500), seq: seq, h: &Handle{}})
	}
	for i := range q {
		if rng.IntN(3) > 0 {
			q[i].h.Cancel()
		}
	}
	q.compact()
	var prev timerEntry
	for n := 0; len(q) > 0; n++ {
		e := q.pop()
		if e.h.Cancelled() {
			t.Fatal("a cancelled timer survived compaction")
		}
		if n > 0 && (e.when < prev.when || e.when == prev.when && e.seq < prev.seq) {
			t.Fatalf("out of order: (%d,%d) after (%d,%d)", e.when, e.seq, prev.when, prev.seq)
		}
		prev = e
	}
}
