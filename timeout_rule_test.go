package duet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// The one timeout rule (Python's): timeout <= 0 does not wait, NoTimeout
// (Python's None) waits without limit. Loop-task cases run on a virtual
// clock; goroutine cases run in a synctest bubble, where a wait that
// blocks is seen structurally (synctest.Wait returns with the waiter still
// parked) and fake time shows that NoTimeout never fires.

// doneFuture returns a future already completed with v.
func doneFuture(v int) *duet.Future[int] {
	f := duet.NewFuture[int]()
	f.SetResult(v)
	return f
}

// Python: wait([done, pending], timeout=0) and timeout=-1 return at once,
// ({done}, {pending}); a future completed by a callback scheduled before the
// wait counts as done, since the wait yields once to the loop.
func TestWaitZeroTimeoutPollsOnTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		d, p := doneFuture(1), duet.NewFuture[int]()
		l.CallLater(time.Hour, func() { p.SetResult(2) }) // ends the wait of a Wait that does not poll
		for _, timeout := range []time.Duration{0, -time.Second} {
			for _, mode := range []duet.WaitMode{duet.AllCompleted, duet.FirstException} {
				done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{d, p}, mode, timeout)
				if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](d) || len(pending) != 1 || pending[0] != duet.Awaitable[int](p) || vnow(ctx) != 0 {
					t.Errorf("Wait(%v, %v) at %v: %d done, %d pending, %v; want the split at once", mode, timeout, vnow(ctx), len(done), len(pending), err)
				}
			}
		}
		q := duet.NewFuture[int]()
		l.CallSoon(func() { q.SetResult(3) })
		done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{q, p}, duet.AllCompleted, 0)
		if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](q) || len(pending) != 1 || vnow(ctx) != 0 {
			t.Errorf("completion scheduled before the poll: %d done, %d pending, %v at %v", len(done), len(pending), err, vnow(ctx))
		}
		if duet.FutureWaiters(p) != 0 {
			t.Error("a poll left a subscription on the pending future")
		}
		return nil
	})
}

// Python: concurrent.futures.wait(fs, timeout=0) and timeout=-1 return the
// split at once. A poll never blocks, so it does not look at ctx either.
func TestWaitZeroTimeoutPollsOnGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, p := doneFuture(1), duet.NewFuture[int]()
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		for _, ctx := range []context.Context{context.Background(), cancelled} {
			for _, timeout := range []time.Duration{0, -time.Second} {
				done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{d, p}, duet.AllCompleted, timeout)
				if err != nil || len(done) != 1 || done[0] != duet.Awaitable[int](d) || len(pending) != 1 || pending[0] != duet.Awaitable[int](p) {
					t.Errorf("Wait(%v): %d done, %d pending, %v; want the split", timeout, len(done), len(pending), err)
				}
			}
		}
		// Nothing done: all pending, still at once.
		done, pending, err := duet.Wait(context.Background(), []duet.Awaitable[int]{p}, duet.FirstCompleted, 0)
		if err != nil || len(done) != 0 || len(pending) != 1 {
			t.Errorf("nothing done: %d done, %d pending, %v", len(done), len(pending), err)
		}
		if duet.FutureWaiters(p) != 0 {
			t.Error("a poll left a subscription on the pending future")
		}
	})
}

// Python: wait(aws) and wait(aws, timeout=None) wait for mode however long
// it takes.
func TestWaitNoTimeoutWaits(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		p := duet.NewFuture[int]()
		aio.LoopOf(ctx).CallLater(1000*time.Hour, func() { p.SetResult(2) })
		done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{p}, duet.AllCompleted, duet.NoTimeout)
		if err != nil || len(done) != 1 || len(pending) != 0 || vnow(ctx) != 1000*time.Hour {
			t.Errorf("task: %d done, %d pending, %v at %v", len(done), len(pending), err, vnow(ctx))
		}
		return nil
	})
	// NoTimeout arms no timer: a virtual clock with nothing else to do has
	// no deadline to jump to, so the task waits for the goroutine that
	// completes its future (inside a bubble, once the loop is idle).
	synctest.Test(t, func(t *testing.T) {
		vrun(t, func(ctx context.Context) error {
			p := duet.NewFuture[int]()
			go func() {
				time.Sleep(time.Hour) // the bubble's clock: runs once the loop blocks
				p.SetResult(2)
			}()
			done, pending, err := duet.Wait(ctx, []duet.Awaitable[int]{p}, duet.AllCompleted, duet.NoTimeout)
			if err != nil || len(done) != 1 || len(pending) != 0 || vnow(ctx) != 0 {
				t.Errorf("task, future completed by a goroutine: %d done, %d pending, %v at %v", len(done), len(pending), err, vnow(ctx))
			}
			return nil
		})
	})
	synctest.Test(t, func(t *testing.T) {
		p := duet.NewFuture[int]()
		type result struct {
			done, pending []duet.Awaitable[int]
			err           error
		}
		res := make(chan result, 1)
		go func() {
			done, pending, err := duet.Wait(context.Background(), []duet.Awaitable[int]{p}, duet.AllCompleted, duet.NoTimeout)
			res <- result{done, pending, err}
		}()
		time.Sleep(1000 * 24 * time.Hour) // fake time: every timer up to then fires
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("Wait(NoTimeout) returned before its future completed: %d done, %v", len(r.done), r.err)
		default:
		}
		p.SetResult(2)
		if r := <-res; r.err != nil || len(r.done) != 1 || len(r.pending) != 0 {
			t.Errorf("goroutine: %d done, %d pending, %v", len(r.done), len(r.pending), r.err)
		}
	})
}

// Python: asyncio.timeout(0) and timeout(-1) expire at the task's next
// suspension; a body that never suspends is not interrupted.
// asyncio.timeout(None) sets no deadline: when() is None.
func TestWithTimeoutZeroAndNoTimeoutOnTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		for _, d := range []time.Duration{0, -time.Second} {
			err := duet.WithTimeout(ctx, d, func(ctx context.Context) error { return duet.Sleep(ctx, 0) })
			if !isTimeout(err) || vnow(ctx) != 0 {
				t.Errorf("WithTimeout(%v) around Sleep(0): %v at %v, want a timeout at once", d, err, vnow(ctx))
			}
			if err := duet.WithTimeout(ctx, d, func(ctx context.Context) error { return nil }); err != nil {
				t.Errorf("WithTimeout(%v) around a body that never waits: %v", d, err)
			}
		}
		err := duet.WithTimeout(ctx, duet.NoTimeout, func(ctx context.Context) error {
			if w := duet.TimeoutFrom(ctx).When(); !w.IsZero() {
				t.Errorf("NoTimeout: When() = %v, want the zero time (Python: None)", w)
			}
			if dl, ok := ctx.Deadline(); ok {
				t.Errorf("NoTimeout: ctx has a deadline %v", dl)
			}
			return duet.Sleep(ctx, 1000*time.Hour)
		})
		if err != nil || vnow(ctx) != 1000*time.Hour {
			t.Errorf("WithTimeout(NoTimeout): %v at %v", err, vnow(ctx))
		}
		return nil
	})
}

// On a goroutine timeout <= 0 makes fn's context done from the start, and
// NoTimeout gives it no deadline.
func TestWithTimeoutZeroAndNoTimeoutOnGoroutine(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		err := duet.WithTimeout(context.Background(), d, func(ctx context.Context) error {
			select {
			case <-ctx.Done():
			default:
				t.Errorf("WithTimeout(%v): the context is not done at the start", d)
			}
			return ctx.Err()
		})
		if !isTimeout(err) {
			t.Errorf("WithTimeout(%v): %v, want a timeout", d, err)
		}
	}
	err := duet.WithTimeout(context.Background(), duet.NoTimeout, func(ctx context.Context) error {
		if w := duet.TimeoutFrom(ctx).When(); !w.IsZero() {
			t.Errorf("NoTimeout: When() = %v, want the zero time", w)
		}
		if dl, ok := ctx.Deadline(); ok {
			t.Errorf("NoTimeout: ctx has a deadline %v", dl)
		}
		return ctx.Err()
	})
	if err != nil {
		t.Errorf("WithTimeout(NoTimeout): %v", err)
	}
}

// Python: wait_for(aw, None) is "await aw", however long it takes.
// (wait_for with 0 and negative timeouts: TestWaitForZeroTimeout,
// TestWaitForGoroutine and TestWaitForNegativeTimeoutOnGoroutine.)
func TestWaitForNoTimeoutWaits(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		child := aio.Spawn(ctx, sleeper(1000*time.Hour, 7))
		v, err := duet.WaitFor(ctx, child, duet.NoTimeout)
		if v != 7 || err != nil || vnow(ctx) != 1000*time.Hour {
			t.Errorf("task: %v, %v at %v", v, err, vnow(ctx))
		}
		return nil
	})
	// No timer for the virtual clock to jump to (see TestWaitNoTimeoutWaits).
	synctest.Test(t, func(t *testing.T) {
		vrun(t, func(ctx context.Context) error {
			f := duet.NewFuture[int]()
			go func() {
				time.Sleep(time.Hour)
				f.SetResult(7)
			}()
			if v, err := duet.WaitFor(ctx, f, duet.NoTimeout); v != 7 || err != nil || vnow(ctx) != 0 {
				t.Errorf("task, future completed by a goroutine: %v, %v at %v", v, err, vnow(ctx))
			}
			return nil
		})
	})
	synctest.Test(t, func(t *testing.T) {
		f := duet.NewFuture[int]()
		res := make(chan error, 1)
		go func() {
			v, err := duet.WaitFor(context.Background(), f, duet.NoTimeout)
			if err == nil && v != 7 {
				err = errors.New("wrong value")
			}
			res <- err
		}()
		time.Sleep(1000 * 24 * time.Hour)
		synctest.Wait()
		select {
		case err := <-res:
			t.Fatalf("WaitFor(NoTimeout) returned before its future completed: %v", err)
		default:
		}
		f.SetResult(7)
		if err := <-res; err != nil {
			t.Errorf("goroutine: %v", err)
		}
	})
}

// Python: wait_for(aw, -1) on a goroutine's future: done gives its value,
// pending is cancelled and times out.
func TestWaitForNegativeTimeoutOnGoroutine(t *testing.T) {
	if v, err := duet.WaitFor(context.Background(), doneFuture(4), -time.Second); v != 4 || err != nil {
		t.Errorf("done: %v, %v", v, err)
	}
	f := duet.NewFuture[int]()
	if _, err := duet.WaitFor(context.Background(), f, -time.Second); !isTimeout(err) || !f.Cancelled() {
		t.Errorf("pending: %v (cancelled %v), want a timeout", err, f.Cancelled())
	}
}

// asCompletedTrace ranges over seq and records each value, or "timeout" for
// a timeout error, with the virtual time since base when ctx is a loop
// task's.
func asCompletedTrace(t *testing.T, ctx context.Context, base time.Duration, seq func(func(duet.Awaitable[int], error) bool)) string {
	t.Helper()
	var out []string
	for a, err := range seq {
		switch {
		case isTimeout(err):
			if !strings.Contains(err.Error(), "unfinished") {
				t.Errorf("timeout error %q does not say how many are unfinished", err)
			}
			out = append(out, "timeout")
		case err != nil:
			out = append(out, "error:"+err.Error())
		default:
			v, _ := a.Future().Result()
			out = append(out, string(rune('0'+v)))
		}
		if aio.LoopOf(ctx) != nil {
			out[len(out)-1] += "@" + (vnow(ctx) - base).String()
		}
	}
	return strings.Join(out, " ")
}

// Python: as_completed(aws, timeout=t) yields what completes within t,
// then raises TimeoutError; timeout=0 yields what is done, then the
// timeout; timeout=None waits for all. Nothing is cancelled.
func TestAsCompletedTimeoutOnTask(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		cases := []struct {
			timeout time.Duration
			want    string
		}{
			{2 * time.Second, "0@0s 1@1s timeout@2s"},
			{0, "0@0s timeout@0s"},
			{-time.Second, "0@0s timeout@0s"},
			{duet.NoTimeout, "0@0s 1@1s 3@3s"},
		}
		for _, c := range cases {
			start := vnow(ctx)
			a := aio.Spawn(ctx, sleeper(time.Second, 1))
			b := aio.Spawn(ctx, sleeper(3*time.Second, 3))
			got := asCompletedTrace(t, ctx, start, duet.AsCompletedTimeout(ctx, c.timeout, duet.Awaitable[int](doneFuture(0)), a, b))
			if got != c.want {
				t.Errorf("AsCompletedTimeout(%v): %s, want %s", c.timeout, got, c.want)
			}
			if b.IsDone() && c.timeout != duet.NoTimeout {
				t.Errorf("AsCompletedTimeout(%v) cancelled or outlived the pending task", c.timeout)
			}
			if _, err := duet.Await(ctx, b); err != nil { // the pending task was not cancelled
				t.Errorf("AsCompletedTimeout(%v): the pending task failed: %v", c.timeout, err)
			}
		}
		return nil
	})
}

// Python: concurrent.futures.as_completed(fs, timeout=0) yields the
// finished futures, then raises TimeoutError("1 (of 2) futures
// unfinished"); with a timeout, what completes in time comes first.
func TestAsCompletedTimeoutOnGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		p := duet.NewFuture[int]()
		for _, d := range []time.Duration{0, -time.Second} {
			if got := asCompletedTrace(t, ctx, 0, duet.AsCompletedTimeout(ctx, d, duet.Awaitable[int](doneFuture(0)), p)); got != "0 timeout" {
				t.Errorf("AsCompletedTimeout(%v): %s, want 0 timeout", d, got)
			}
		}
		q := duet.NewFuture[int]()
		go func() {
			time.Sleep(30 * time.Minute)
			q.SetResult(1)
		}()
		start := time.Now()
		if got := asCompletedTrace(t, ctx, 0, duet.AsCompletedTimeout(ctx, time.Hour, duet.Awaitable[int](p), q)); got != "1 timeout" {
			t.Errorf("AsCompletedTimeout(1h): %s, want 1 timeout", got)
		}
		if el := time.Since(start); el != time.Hour {
			t.Errorf("the timeout expired after %v of fake time, want 1h", el)
		}
		if p.IsDone() || duet.FutureWaiters(p) != 0 {
			t.Error("the iteration cancelled the unfinished future or left a subscription")
		}
		p.SetResult(2)
		if got := asCompletedTrace(t, ctx, 0, duet.AsCompletedTimeout(ctx, duet.NoTimeout, duet.Awaitable[int](p), q)); got != "2 1" {
			t.Errorf("AsCompletedTimeout(NoTimeout): %s", got)
		}
	})
}
