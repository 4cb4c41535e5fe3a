package aio

import (
	"math/rand/v2"
	"slices"
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

// TestTimerHeapInterleaved checks push and pop, interleaved, against a
// sorted reference: pop walks its hole to a leaf before placing the last
// entry, and every size (a root without children, a partial last family
// of children) goes through that path.
func TestTimerHeapInterleaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var q timerHeap
	var ref []timerEntry
	var seq uint64
	for step := range 20000 {
		if len(ref) == 0 || rng.IntN(5) < 3 {
			seq++
			e := timerEntry{when: rng.Int64N(1000), seq: seq}
			q.push(e)
			i, _ := slices.BinarySearchFunc(ref, e, func(a, b timerEntry) int {
				if a.before(&b) {
					return -1
				}
				return 1
			})
			ref = slices.Insert(ref, i, e)
			continue
		}
		got := q.pop()
		want := ref[0]
		ref = ref[1:]
		if got.when != want.when || got.seq != want.seq {
			t.Fatalf("step %d: popped (%d,%d), want (%d,%d)", step, got.when, got.seq, want.when, want.seq)
		}
		if len(q) != len(ref) {
			t.Fatalf("step %d: %d entries left, want %d", step, len(q), len(ref))
		}
	}
}
