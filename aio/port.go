package aio

import (
	"context"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// loopPort is a Loop as the root package sees it (park.Loop): the methods
// duet's timeouts, groups and combinators call on a task's loop. They are
// on this unexported view rather than on Loop so that Loop's API is only
// what a user needs (Time, CallSoon, CallAt, Spawn); the conversion from
// *Loop is free, and contexts store the loop as a *loopPort under
// park.LoopKey (LoopOf converts it back).
type loopPort Loop

// loopFrom returns the loop ctx belongs to, or nil. It asserts the value
// to *loopPort at once rather than through park.LoopOf's park.Loop, which
// would cost an interface conversion (an itab lookup) on every Spawn, and
// keeps loopFrom small enough to inline.
func loopFrom(ctx context.Context) *Loop {
	if ctx == nil {
		return nil
	}
	p, _ := ctx.Value(park.LoopKey).(*loopPort)
	return (*Loop)(p)
}

// Now reads the loop's clock.
func (p *loopPort) Now() time.Time { return p.clock.Now() }

// Post is CallSoon without a handle: false, fn never running, when the loop
// is closed.
func (p *loopPort) Post(fn func()) bool {
	_, err := (*Loop)(p).CallSoon(fn)
	return err == nil
}

// After is CallAt for the root package's timeouts. On a closed loop the
// timer is a nil *Handle, which was never set: Cancel reports false.
func (p *loopPort) After(when time.Time, fn func()) park.Timer {
	h, _ := (*Loop)(p).CallAt(when, fn)
	return h
}
