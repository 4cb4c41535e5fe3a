package aio_test

import (
	"slices"
	"testing"
	"time"

	"github.com/duet-go/duet/aio"
)

// FuzzTimers schedules and cancels timers (from callbacks too) on a loop
// with a virtual clock and checks them against a reference model: every
// timer not cancelled fires exactly once, at its due time, in (due time,
// scheduling order) order.
func FuzzTimers(f *testing.F) {
	f.Add([]byte{5, 1, 3, 0x81, 7, 7, 2, 0x82})
	f.Add([]byte{0, 0, 0, 0x80, 0x80, 9})
	f.Add([]byte{200, 100, 50, 25, 0x83, 0x81, 1, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 300 {
			ops = ops[:300]
		}
		l := aio.New(aio.WithVirtualClock())
		defer l.Close()
		t0 := l.Time()
		type timer struct {
			id        int
			due       time.Duration
			cancelled bool
			h         *aio.Handle
		}
		var timers []*timer
		var fired []int
		var firedAt []time.Duration
		schedule := func(op byte) {
			if op&0x80 != 0 {
				// Cancel the timer whose index is given by the low bits.
				if len(timers) > 0 {
					tm := timers[int(op&0x7f)%len(timers)]
					if tm.h.Cancel() {
						tm.cancelled = true
					}
				}
				return
			}
			now := l.Time().Sub(t0)
			tm := &timer{id: len(timers), due: now + time.Duration(op%32)*time.Millisecond}
			timers = append(timers, tm)
			var err error
			tm.h, err = l.CallAt(t0.Add(tm.due), func() {
				fired = append(fired, tm.id)
				firedAt = append(firedAt, l.Time().Sub(t0))
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Half the operations happen before the loop runs, the rest from a
		// callback while it runs.
		half := len(ops) / 2
		for _, op := range ops[:half] {
			schedule(op)
		}
		l.CallLater(3*time.Millisecond, func() {
			for _, op := range ops[half:] {
				schedule(op)
			}
		})
		l.CallLater(time.Hour, l.Stop)
		if err := l.RunForever(); err != nil {
			t.Fatal(err)
		}
		var want []*timer
		for _, tm := range timers {
			if !tm.cancelled {
				want = append(want, tm)
			}
		}
		slices.SortStableFunc(want, func(a, b *timer) int { return int(a.due - b.due) })
		if len(fired) != len(want) {
			t.Fatalf("fired %d timers, want %d", len(fired), len(want))
		}
		for i, tm := range want {
			if fired[i] != tm.id || firedAt[i] != tm.due {
				t.Fatalf("firing %d: timer %d at %v, want timer %d at %v", i, fired[i], firedAt[i], tm.id, tm.due)
			}
		}
	})
}
