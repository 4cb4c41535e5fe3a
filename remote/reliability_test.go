package remote_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
	"github.com/duet-go/duet/remote/internal/demotasks"
)

// streamMsgs returns how many tasks the stream on e holds.
func streamMsgs(t *testing.T, e *remote.Engine) uint64 {
	t.Helper()
	js, err := jetstream.New(e.Conn())
	must(t, err)
	s, err := js.Stream(ctxT(t), "DUET_TASKS")
	must(t, err)
	info, err := s.Info(ctxT(t))
	must(t, err)
	return info.State.Msgs
}

// eventually polls cond until it holds, within the test's bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := ctxT(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestEngineRestartLosesNoQueuedTask(t *testing.T) {
	dir := t.TempDir()
	srv, err := remote.NewEngine(remote.WithStoreDir(dir), remote.WithListen("127.0.0.1:0"), remote.WithAckWait(time.Second))
	must(t, err)
	defer func() { srv.Close() }()
	_, port, err := net.SplitHostPort(srv.URL()[len("nats://"):])
	must(t, err)
	caller, err := remote.NewEngine(remote.WithURLs(srv.URL()), remote.WithAckWait(time.Second))
	must(t, err)
	defer caller.Close()
	c, err := remote.NewClient(caller)
	must(t, err)
	defer c.Shutdown(true, true)
	ctx := ctxT(t)
	const n = 200
	futs := make([]*duet.Future[demotasks.HoldResult], n)
	for i := range futs {
		futs[i] = remote.Submit(ctx, c, demotasks.Hold, demotasks.HoldArgs{Tag: strconv.Itoa(i)})
	}
	eventually(t, "every task stored", func() bool { return streamMsgs(t, srv) == n })

	must(t, srv.Close()) // no worker ran anything yet; every task is on disk
	srv, err = remote.NewEngine(remote.WithStoreDir(dir), remote.WithListen("127.0.0.1:"+port), remote.WithAckWait(time.Second))
	must(t, err)
	eventually(t, "the caller reconnected", caller.Conn().IsConnected)
	workers, err := remote.NewEngine(remote.WithURLs(srv.URL()), remote.WithAckWait(time.Second))
	must(t, err)
	defer workers.Close()
	reg := remote.NewRegistry()
	must(t, demotasks.Register(reg, nil))
	w, err := remote.Serve(workers, reg, remote.WithSlots(8))
	must(t, err)
	defer w.Shutdown(true, true)
	for i, f := range futs {
		if r, err := duet.Await(ctx, f); err != nil || r.Tag != strconv.Itoa(i) {
			t.Fatalf("task %d after the restart: %+v, %v", i, r, err)
		}
	}
}

func TestSlowAndPoisonTasksDoNotStallOthers(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	reg := blockRegistry(t, started, ended, release)
	must(t, remote.Handle(reg, square, func(ctx context.Context, x int) (int, error) {
		if x < 0 {
			panic("poison")
		}
		return x * x, nil
	}))
	_, c, _ := setup(t, reg, remote.WithSlots(4))
	ctx := ctxT(t)
	slow := remote.Submit(ctx, c, block, "slow")
	<-started
	poison := remote.Submit(ctx, c, square, -1, remote.WithRetries(2), remote.WithRetryOnError(time.Millisecond))
	for i := range 100 {
		if v, err := duet.Await(ctx, remote.Submit(ctx, c, square, i)); err != nil || v != i*i {
			t.Fatalf("task %d behind a slow one: %d, %v", i, v, err)
		}
	}
	_, err := duet.Await(ctx, poison)
	var pe *duet.PanicError
	if !errors.Is(err, remote.ErrPoison) || !errors.As(err, &pe) || pe.Value != "poison" {
		t.Fatalf("poison task: %v; want a PoisonError whose last failure is the panic", err)
	}
	if slow.IsDone() {
		t.Fatal("the slow task completed before its release")
	}
	close(release)
	if _, err := duet.Await(ctx, slow); err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeatsKeepLongTaskFromRedelivery(t *testing.T) {
	e := newEngine(t, remote.WithAckWait(time.Second))
	starts := make(chan string, 10)
	reg := remote.NewRegistry()
	must(t, demotasks.Register(reg, func(tag string) { starts <- tag }))
	w, err := remote.Serve(e, reg, remote.WithSlots(2)) // a free slot would take a redelivery
	must(t, err)
	defer w.Shutdown(true, true)
	c, err := remote.NewClient(e)
	must(t, err)
	defer c.Shutdown(true, true)
	ctx := ctxT(t)
	r, err := duet.Await(ctx, remote.Submit(ctx, c, demotasks.Hold, demotasks.HoldArgs{Ms: 3500, Tag: "long"}))
	if err != nil || r.Attempt != 1 {
		t.Fatalf("a task three times the ack wait: %+v, %v; want it done on its first attempt", r, err)
	}
	if n := len(starts); n != 1 {
		t.Fatalf("it started %d times; want once", n)
	}
}

// The engine restarted (file storage) while workers run tasks: the tasks
// running then are redelivered once it is back, and every future still
// completes, with the result of the task its submit asked for.
func TestEngineRestartWithTasksRunning(t *testing.T) {
	dir := t.TempDir()
	srv, err := remote.NewEngine(remote.WithStoreDir(dir), remote.WithListen("127.0.0.1:0"), remote.WithAckWait(time.Second))
	must(t, err)
	defer func() { srv.Close() }()
	_, port, err := net.SplitHostPort(srv.URL()[len("nats://"):])
	must(t, err)
	caller, err := remote.NewEngine(remote.WithURLs(srv.URL()), remote.WithAckWait(time.Second))
	must(t, err)
	defer caller.Close()
	workers, err := remote.NewEngine(remote.WithURLs(srv.URL()), remote.WithAckWait(time.Second))
	must(t, err)
	defer workers.Close()
	started := make(chan string, 100)
	reg := remote.NewRegistry()
	must(t, demotasks.Register(reg, func(tag string) { started <- tag }))
	w, err := remote.Serve(workers, reg, remote.WithSlots(4))
	must(t, err)
	defer w.Shutdown(true, true)
	c, err := remote.NewClient(caller)
	must(t, err)
	defer c.Shutdown(true, true)
	ctx := ctxT(t)
	const n = 12
	futs := make([]*duet.Future[demotasks.HoldResult], n)
	for i := range futs {
		futs[i] = remote.Submit(ctx, c, demotasks.Hold, demotasks.HoldArgs{Ms: 300, Tag: strconv.Itoa(i)})
	}
	for range 4 { // every slot runs one
		select {
		case <-started:
		case <-ctx.Done():
			t.Fatal("no task started")
		}
	}
	must(t, srv.Close()) // four tasks running, eight queued on disk
	srv, err = remote.NewEngine(remote.WithStoreDir(dir), remote.WithListen("127.0.0.1:"+port), remote.WithAckWait(time.Second))
	must(t, err)
	for i, f := range futs {
		if r, err := duet.Await(ctx, f); err != nil || r.Tag != strconv.Itoa(i) {
			t.Fatalf("task %d across the restart: %+v, %v", i, r, err)
		}
	}
}
