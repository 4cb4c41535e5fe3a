package duet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// shieldKit is the twin of the Python script in the tests' comments.
type shieldKit struct{ log tlog }

func (k *shieldKit) inner(ctx context.Context) (string, error) {
	if err := duet.Sleep(ctx, 2*time.Second); err != nil {
		k.log.add("inner cancelled")
		return "", err
	}
	k.log.add("inner done")
	return "v", nil
}

func (k *shieldKit) caller(t *aio.Task[string]) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		v, err := duet.Await(ctx, duet.Shield[string](ctx, t))
		if err != nil {
			k.log.add("caller cancelled")
		}
		return v, err
	}
}

// Python:
//
//	t = create_task(inner()); c = create_task(caller())  # await shield(t)
//	await sleep(1); c.cancel(); await c; await t
//	-> caller cancelled, c cancelled True, inner done, inner result v
func TestShieldCallerCancelled(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k shieldKit
		in := aio.Spawn(ctx, k.inner)
		c := aio.Spawn(ctx, k.caller(in))
		duet.Sleep(ctx, time.Second)
		c.Cancel("")
		_, err := duet.Await(ctx, c)
		k.log.add("c cancelled %v", isCancel(err) && c.Cancelled())
		v, err := duet.Await(ctx, in)
		k.log.add("inner result %s %v", v, err)
		k.log.want(t, "caller cancelled c cancelled true inner done inner result v <nil>")
		if duet.FutureWaiters(in.Future()) != 0 {
			t.Error("Shield left a callback on the inner after the outer was cancelled")
		}
		return nil
	})
}

// Python: cancelling the inner cancels the outer:
// "inner cancelled caller cancelled c cancelled True".
func TestShieldInnerCancelled(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k shieldKit
		in := aio.Spawn(ctx, k.inner)
		c := aio.Spawn(ctx, k.caller(in))
		duet.Sleep(ctx, time.Second)
		in.Cancel("in")
		_, err := duet.Await(ctx, c)
		k.log.add("c cancelled %v", isCancel(err) && c.Cancelled())
		k.log.want(t, "inner cancelled caller cancelled c cancelled true")
		var ce *duet.CancelledError
		if !errors.As(err, &ce) || ce.Msg != "in" {
			t.Errorf("outer's cancellation %v does not carry the inner's message", err)
		}
		return nil
	})
}

func TestShieldOutcomes(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		// Done already: the inner's own future.
		f := duet.NewFuture[int]()
		f.SetResult(1)
		if duet.Shield[int](ctx, f) != f {
			t.Error("Shield of a done future is not that future")
		}
		// Failure passes through.
		boom := errors.New("boom")
		ft := aio.Spawn(ctx, failAfter(time.Second, boom))
		if _, err := duet.Await(ctx, duet.Shield[int](ctx, ft)); err != boom {
			t.Errorf("failure: %v", err)
		}
		// Value passes through.
		vt := aio.Spawn(ctx, sleeper(time.Second, 5))
		if v, err := duet.Await(ctx, duet.Shield[int](ctx, vt)); v != 5 || err != nil {
			t.Errorf("value: %v, %v", v, err)
		}
		// Nil.
		if _, err := duet.Await(ctx, duet.Shield[int](ctx, nil)); !errors.Is(err, duet.ErrNilAwaitable) {
			t.Errorf("nil: %v", err)
		}
		// The outer cancelled directly: the inner runs on.
		g := duet.NewFuture[int]()
		out := duet.Shield[int](ctx, g)
		out.Cancel("")
		duet.Sleep(ctx, 0)
		if g.IsDone() || duet.FutureWaiters(g) != 0 {
			t.Errorf("inner done %v, %d waiters left", g.IsDone(), duet.FutureWaiters(g))
		}
		return nil
	})
}

// A timeout around a shielded wait: the wait is cut, the work is not.
func TestShieldWithTimeout(t *testing.T) {
	vrun(t, func(ctx context.Context) error {
		var k shieldKit
		in := aio.Spawn(ctx, k.inner)
		_, err := duet.WaitFor(ctx, duet.Shield[string](ctx, in), time.Second)
		if !isTimeout(err) || in.IsDone() {
			t.Errorf("got %v, inner done %v", err, in.IsDone())
		}
		v, err := duet.Await(ctx, in)
		if v != "v" || err != nil || vnow(ctx) != 2*time.Second {
			t.Errorf("inner: %v, %v at %v", v, err, vnow(ctx))
		}
		return nil
	})
}

func TestShieldGoroutine(t *testing.T) {
	in := duet.NewFuture[int]()
	ctx, cancel := context.WithCancel(context.Background())
	out := duet.Shield[int](ctx, in)
	go cancel()
	_, err := duet.Await(ctx, out)
	if !isCancel(err) {
		t.Fatalf("got %v", err)
	}
	// Await on a goroutine leaves the outer running: cancel it as a task
	// would, and the inner stays pending.
	out.Cancel("")
	if in.IsDone() || duet.FutureWaiters(in) != 0 {
		t.Fatalf("inner done %v, %d waiters", in.IsDone(), duet.FutureWaiters(in))
	}
	in2 := duet.NewFuture[int]()
	out2 := duet.Shield[int](context.Background(), in2)
	go in2.SetResult(4)
	if v, err := duet.Await(context.Background(), out2); v != 4 || err != nil {
		t.Fatalf("value: %v, %v", v, err)
	}
	in3 := duet.NewFuture[int]()
	out3 := duet.Shield[int](context.Background(), in3)
	in3.Cancel("x")
	if !out3.Cancelled() {
		t.Fatal("inner cancelled, outer not")
	}
}

// A Shield made with a closed loop's context still completes: its outer
// future used to wait for a callback the closed loop could never run.
func TestShieldOnClosedLoopCompletes(t *testing.T) {
	l := aio.New()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	inner := duet.NewFuture[int]()
	outer := duet.Shield(l.Context(), inner)
	inner.SetResult(3)
	select {
	case <-outer.Done():
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("the shield's outer future never completed")
	}
	if v, err := outer.Result(); v != 3 || err != nil {
		t.Fatalf("outer: %v, %v; want 3, nil", v, err)
	}
}
