package aio_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// offsetClock reads wall time shifted by off and counts its readings: the
// loop reads its clock a few times an iteration, so the count tells a loop
// that sleeps from one that spins.
type offsetClock struct {
	off   time.Duration
	reads atomic.Int64
}

func (c *offsetClock) Now() time.Time {
	c.reads.Add(1)
	return time.Now().Add(c.off)
}

func (c *offsetClock) readings() int64 { return c.reads.Load() }

// rateClock runs at rate times real time from its creation, and says so
// through SleepTime; it counts its readings and the loop's questions.
type rateClock struct {
	rate   int64 // clock nanoseconds per 1000 real ones
	base   time.Time
	reads  atomic.Int64
	sleeps atomic.Int64
}

func newRateClock(perMille int64) *rateClock { return &rateClock{rate: perMille, base: time.Now()} }

func (c *rateClock) Now() time.Time {
	c.reads.Add(1)
	return c.base.Add(time.Since(c.base) * time.Duration(c.rate) / 1000)
}

func (c *rateClock) SleepTime(deadline time.Time) time.Duration {
	c.sleeps.Add(1)
	return deadline.Sub(c.Now()) * 1000 / time.Duration(c.rate)
}

func (c *rateClock) readings() int64 { return c.reads.Load() }

// maxReadings bounds the clock readings of one short sleep: a loop that
// sleeps through it iterates a handful of times and reads its clock a few
// times each, while a loop that spins until the deadline reads it
// thousands of times.
const maxReadings = 100

// sleepsOnClock runs three sleeps of d on a loop reading c and checks that
// each returns, not before its deadline on c, without the loop spinning.
// A sleep that never returns fails after a generous hang guard.
func sleepsOnClock(t *testing.T, c interface {
	aio.Clock
	readings() int64
}, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- aio.Run(context.Background(), func(ctx context.Context) error {
			l := aio.LoopOf(ctx)
			for i := range 3 {
				start, before := l.Time(), c.readings()
				if err := duet.Sleep(ctx, d); err != nil {
					return err
				}
				if got := l.Time().Sub(start); got < d {
					return fmt.Errorf("sleep %d of %v returned after %v on the loop's clock, before its deadline", i, d, got)
				}
				if n := c.readings() - before; n > maxReadings {
					return fmt.Errorf("sleep %d of %v: the loop read its clock %d times (want <= %d): it spins instead of sleeping", i, d, n, maxReadings)
				}
			}
			return nil
		}, aio.WithClock(c))
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("three sleeps of %v have not returned after 20 s: the loop waits for its clock's deadline on another clock", d)
	}
}

// A clock an hour ahead of wall time: the loop used to sleep until
// time.Until(deadline), an hour, for a 20 ms sleep.
func TestCustomClockAheadSleeps(t *testing.T) {
	sleepsOnClock(t, &offsetClock{off: time.Hour}, 20*time.Millisecond)
}

// A clock an hour behind: time.Until(deadline) was negative, so the loop
// did not wait at all and spun until the clock reached the deadline.
func TestCustomClockBehindSleeps(t *testing.T) {
	sleepsOnClock(t, &offsetClock{off: -time.Hour}, 20*time.Millisecond)
}

// A clock at another rate says how long to sleep through SleepTime, and
// the loop asks it: at half speed 20 ms of the clock take 40 ms, at double
// speed 10 ms.
func TestSleepClockRate(t *testing.T) {
	for _, perMille := range []int64{500, 2000} {
		t.Run(fmt.Sprintf("rate%d", perMille), func(t *testing.T) {
			c := newRateClock(perMille)
			sleepsOnClock(t, c, 20*time.Millisecond)
			if c.sleeps.Load() == 0 {
				t.Fatal("the loop never asked its SleepClock how long to sleep")
			}
		})
	}
}
