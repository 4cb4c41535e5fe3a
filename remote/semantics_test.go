package remote_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

// drained waits until the task stream holds nothing: every task was acked.
func drained(t *testing.T, e *remote.Engine) {
	t.Helper()
	js, err := jetstream.New(e.Conn())
	must(t, err)
	ctx := ctxT(t)
	for {
		s, err := js.Stream(ctx, "DUET_TASKS")
		must(t, err)
		info, err := s.Info(ctx)
		must(t, err)
		if info.State.Msgs == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the stream still holds %d tasks", info.State.Msgs)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

var flaky = remote.Define[int, int]("test.flaky/v1")

func TestRetryOnErrorThenSuccess(t *testing.T) {
	var runs atomic.Int32
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, flaky, func(ctx context.Context, failures int) (int, error) {
		runs.Add(1)
		if a := remote.InfoFrom(ctx).Attempt; a <= failures {
			return 0, errors.New("not yet")
		}
		return remote.InfoFrom(ctx).Attempt, nil
	}))
	_, c, _ := setup(t, reg)
	ctx := ctxT(t)
	v, err := duet.Await(ctx, remote.Submit(ctx, c, flaky, 2, remote.WithRetries(3), remote.WithRetryOnError(time.Millisecond)))
	if err != nil || v != 3 || runs.Load() != 3 {
		t.Fatalf("got %d, %v after %d runs; want success on attempt 3", v, err, runs.Load())
	}
}

func TestPoisonCarriesLastFailure(t *testing.T) {
	var runs atomic.Int32
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, flaky, func(ctx context.Context, _ int) (int, error) {
		runs.Add(1)
		return 0, errors.New("always broken")
	}))
	e, c, _ := setup(t, reg)
	ctx := ctxT(t)
	_, err := duet.Await(ctx, remote.Submit(ctx, c, flaky, 0, remote.WithRetries(2), remote.WithRetryOnError(time.Millisecond)))
	var pe *remote.PoisonError
	if !errors.As(err, &pe) || pe.Attempts != 3 || pe.Last == nil || pe.Last.Error() != "always broken" || !errors.Is(err, remote.ErrPoison) {
		t.Fatalf("err = %v; want a PoisonError after 3 attempts with the last failure", err)
	}
	// Without WithRetryOnError a handler's error is final.
	_, err = duet.Await(ctx, remote.Submit(ctx, c, flaky, 0))
	if err == nil || errors.Is(err, remote.ErrPoison) {
		t.Fatalf("err = %v; want the handler's own error", err)
	}
	drained(t, e)
	if n := runs.Load(); n != 4 {
		t.Fatalf("%d runs; want 3 + 1, none redelivered after its outcome", n)
	}
}

var block = remote.Define[string, string]("test.block/v1")

// blockRegistry's task reports its start on started, then waits for its
// context, or for release, and reports its context's error on ended.
func blockRegistry(t *testing.T, started chan<- string, ended chan<- error, release <-chan struct{}) *remote.Registry {
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, block, func(ctx context.Context, name string) (string, error) {
		started <- name
		select {
		case <-ctx.Done():
			ended <- context.Cause(ctx)
			return "", ctx.Err()
		case <-release:
			ended <- nil
			return name, nil
		}
	}))
	return reg
}

func TestCancelReachesRunningTask(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	e, c, _ := setup(t, blockRegistry(t, started, ended, release))
	for _, how := range []string{"ctx", "future"} {
		ctx, cancel := context.WithCancel(ctxT(t))
		f := remote.Submit(ctx, c, block, how)
		<-started
		if how == "ctx" {
			cancel()
		} else if !f.Cancel("stop it") {
			t.Fatal("Cancel of a running remote task reported false")
		}
		if err := <-ended; err == nil {
			t.Fatalf("%s: the task ran to its end; want its context cancelled", how)
		}
		if _, err := duet.Await(ctxT(t), f); !errors.Is(err, duet.ErrCancelled) || !f.Cancelled() {
			t.Fatalf("%s: err = %v; want cancelled", how, err)
		}
		cancel()
	}
	drained(t, e) // a cancelled task is acked, never retried
	select {
	case name := <-started:
		t.Fatalf("task %s ran again after its cancel", name)
	default:
	}
	close(release)
}

func TestCancelledBeforeStartNeverStarts(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	e, c, w := setup(t, blockRegistry(t, started, ended, release), remote.WithSlots(1))
	ctx := ctxT(t)
	first := remote.Submit(ctx, c, block, "first")
	<-started // the only slot is busy
	queued := remote.Submit(ctx, c, block, "queued")
	if !queued.Cancel("not needed") {
		t.Fatal("Cancel of a queued task reported false")
	}
	// The cancel travels to the worker on its own subject, beside the
	// task's delivery: free the slot once the worker has heard it (a task
	// dispatched in the moment before may still run; see Submit).
	for deadline := time.Now().Add(10 * time.Second); remote.CancelsSeen(w) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the worker never heard of the cancel")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	last := remote.Submit(ctx, c, block, "last")
	for _, f := range []*duet.Future[string]{first, last} {
		if _, err := duet.Await(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	drained(t, e)
	if name := <-started; name != "last" {
		t.Fatalf("%q started; want only last after first", name)
	}
	select {
	case name := <-started:
		t.Fatalf("%q started after its cancel", name)
	default:
	}
}

func TestTimeoutCancelsRemoteTask(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	_, c, _ := setup(t, blockRegistry(t, started, ended, release))
	defer close(release)
	ctx := ctxT(t)
	f := remote.Submit(ctx, c, block, "slow", remote.WithTimeout(50*time.Millisecond))
	_, err := duet.Await(ctx, f)
	var te *duet.TimeoutError
	if !errors.As(err, &te) || f.Cancelled() {
		t.Fatalf("err = %v; want a *duet.TimeoutError, not a cancellation", err)
	}
	<-started
	if err := <-ended; err == nil {
		t.Fatal("the task ran to its end after its timeout")
	}
	if err := remote.Submit(ctx, c, block, "x", remote.WithTimeout(0)).Err(); err == nil {
		t.Fatal("WithTimeout(0) accepted")
	}
}

func TestBackPressure(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	reg := blockRegistry(t, started, ended, release)
	e := newEngine(t)
	w, err := remote.Serve(e, reg)
	must(t, err)
	defer w.Shutdown(true, true)
	ctx := ctxT(t)
	for _, reject := range []bool{true, false} {
		opts := []remote.ClientOption{remote.WithMaxInFlight(2)}
		if reject {
			opts = append(opts, remote.WithRejectWhenFull())
		}
		c, err := remote.NewClient(e, opts...)
		must(t, err)
		a, b := remote.Submit(ctx, c, block, "a"), remote.Submit(ctx, c, block, "b")
		cctx, cancel := context.WithCancel(ctx)
		cancel() // a blocking Submit that finds no room gives up at once
		err = remote.Submit(cctx, c, block, "c").Err()
		if reject && !errors.Is(err, remote.ErrFull) || !reject && !errors.Is(err, duet.ErrCancelled) {
			t.Fatalf("reject=%v: third Submit: %v", reject, err)
		}
		if n := c.Pending(); n != 2 {
			t.Fatalf("Pending() = %d, want 2", n)
		}
		a.Cancel("")
		b.Cancel("")
		c.Shutdown(true, false)
		if err := remote.Submit(ctx, c, block, "late").Err(); !errors.Is(err, duet.ErrClosed) {
			t.Fatalf("Submit after Shutdown: %v; want ErrClosed", err)
		}
	}
	close(release)
}
