package aio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A deadline computed from time.Now() under a virtual clock lies where it
// would on the real clock: the virtual clock starts at the real time of its
// creation (it used to start in 2000, putting such a deadline 26 years
// ahead, so the timeout below never fired).
func TestVirtualClockStartsAtRealTime(t *testing.T) {
	before := time.Now()
	run(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		if now := l.Time(); now.Before(before) || now.After(time.Now()) {
			return fmt.Errorf("virtual clock reads %v, want the real time of its creation (%v)", now, before)
		}
		start := l.Time()
		err := duet.WithDeadline(ctx, time.Now().Add(time.Second), func(ctx context.Context) error {
			return duet.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("WithDeadline(time.Now()+1s) around a 1 h sleep: %v, want ErrTimeout", err)
		}
		if took := l.Time().Sub(start); took < time.Second-time.Millisecond || took > time.Second+time.Minute {
			return fmt.Errorf("the deadline fired after %v of virtual time, want about 1 s", took)
		}
		return nil
	})
}

// NewVirtualClockAt gives a fixed start, for absolute times that repeat.
func TestVirtualClockAt(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	run(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		if err := duet.Sleep(ctx, time.Minute); err != nil {
			return err
		}
		if got := l.Time(); !got.Equal(start.Add(time.Minute)) {
			return fmt.Errorf("after a minute: %v, want %v", got, start.Add(time.Minute))
		}
		return nil
	}, aio.WithClock(aio.NewVirtualClockAt(start)))
}
