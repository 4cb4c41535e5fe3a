package remote_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

func TestEngineBadInput(t *testing.T) {
	if _, err := remote.NewEngine(remote.WithURLs("nats://127.0.0.1:1")); err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("unreachable URL: %v; want a clear connect error", err)
	}
	if _, err := remote.NewEngine(remote.WithURLs("nats://x:1"), remote.WithListen("127.0.0.1:0")); err == nil {
		t.Error("WithURLs with WithListen accepted")
	}
	if _, err := remote.NewEngine(remote.WithListen("nope")); err == nil {
		t.Error("a listen address without a port accepted")
	}
	if _, err := remote.NewEngine(remote.WithAckWait(time.Millisecond)); err == nil {
		t.Error("a 1ms ack wait accepted")
	}
	if _, err := remote.NewClient(nil); err == nil {
		t.Error("NewClient(nil) accepted")
	}
	if _, err := remote.Serve(nil, remote.NewRegistry()); err == nil {
		t.Error("Serve(nil, ...) accepted")
	}
}

func TestEngineClosedUnderCaller(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	defer close(release)
	e := newEngine(t)
	c, err := remote.NewClient(e)
	must(t, err)
	_, err = remote.Serve(e, blockRegistry(t, started, ended, release))
	must(t, err)
	ctx := ctxT(t)
	f := remote.Submit(ctx, c, block, "running")
	<-started
	must(t, e.Close())
	if _, err := duet.Await(ctx, f); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("a pending future after Close: %v; want ErrClosed", err)
	}
	if err := <-ended; err == nil {
		t.Fatal("the running task was not cancelled by Close")
	}
	if err := remote.Submit(ctx, c, block, "late").Err(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Submit after Close: %v; want ErrClosed", err)
	}
	if _, err := remote.NewClient(e); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("NewClient on a closed engine: %v; want ErrClosed", err)
	}
}

var unencodable = remote.Define[func(), int]("test.func/v1")
var squareAsString = remote.Define[string, int]("test.square/v1")

func TestCodecErrors(t *testing.T) {
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, square, func(ctx context.Context, x int) (int, error) { return x * x, nil }))
	e, c, _ := setup(t, reg)
	ctx := ctxT(t)
	if err := remote.Submit(ctx, c, unencodable, func() {}).Err(); !errors.Is(err, remote.ErrCodec) {
		t.Errorf("unencodable arguments: %v; want ErrCodec at once", err)
	}
	_, err := duet.Await(ctx, remote.Submit(ctx, c, squareAsString, "three"))
	if !errors.Is(err, remote.ErrCodec) || !strings.Contains(err.Error(), "test.square/v1") {
		t.Errorf("arguments the worker cannot decode: %v; want ErrCodec naming the task", err)
	}
	other, err := remote.NewClient(e, remote.WithCodec(otherCodec{}))
	must(t, err)
	defer other.Shutdown(true, true)
	if _, err := duet.Await(ctx, remote.Submit(ctx, other, square, 3)); !errors.Is(err, remote.ErrCodec) || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("a codec mismatch: %v; want ErrCodec naming both codecs", err)
	}
}

// otherCodec is JSON under another name: a worker on JSON refuses it.
type otherCodec struct{}

func (otherCodec) Name() string                       { return "other" }
func (otherCodec) Marshal(v any) ([]byte, error)      { return remote.JSON.Marshal(v) }
func (otherCodec) Unmarshal(data []byte, v any) error { return remote.JSON.Unmarshal(data, v) }

func TestCallerGoneCancelsTask(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	defer close(release)
	e := listenEngine(t)
	_, err := remote.Serve(e, blockRegistry(t, started, ended, release))
	must(t, err)
	caller, err := remote.NewEngine(remote.WithURLs(e.URL()), remote.WithAckWait(time.Second))
	must(t, err)
	defer caller.Close()
	c, err := remote.NewClient(caller)
	must(t, err)
	f := remote.Submit(ctxT(t), c, block, "orphan")
	<-started
	caller.Conn().Close() // as a crash would: no cancel is sent
	if _, err := duet.Await(ctxT(t), f); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("the caller's future after its connection closed: %v; want ErrClosed", err)
	}
	if err := <-ended; err == nil {
		t.Fatal("the orphaned task ran to its end")
	}
}

func TestShutdownLetsOutstandingFinish(t *testing.T) {
	started, ended, release := make(chan string, 10), make(chan error, 10), make(chan struct{})
	_, c, w := setup(t, blockRegistry(t, started, ended, release))
	ctx := ctxT(t)
	f := remote.Submit(ctx, c, block, "in flight")
	<-started
	c.Shutdown(false, false)
	w.Shutdown(false, false)
	if err := remote.Submit(ctx, c, block, "late").Err(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Submit after Shutdown: %v", err)
	}
	if f.IsDone() {
		t.Fatal("Shutdown(false, false) completed an outstanding future")
	}
	close(release)
	if v, err := duet.Await(ctx, f); err != nil || v != "in flight" {
		t.Fatalf("the outstanding task after Shutdown: %q, %v; want its result", v, err)
	}
	c.Shutdown(true, false)
	w.Shutdown(true, false)
	if w.Running() != 0 || c.Pending() != 0 {
		t.Fatal("work left after Shutdown with wait")
	}
}

func TestIdempotencyKey(t *testing.T) {
	var keys = make(chan string, 10)
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, square, func(ctx context.Context, x int) (int, error) {
		keys <- remote.InfoFrom(ctx).Key
		return x * x, nil
	}))
	_, c, _ := setup(t, reg)
	ctx := ctxT(t)
	a := remote.Submit(ctx, c, square, 4, remote.WithIdempotencyKey("charge-42"))
	b := remote.Submit(ctx, c, square, 4, remote.WithIdempotencyKey("charge-42"))
	if v, err := duet.Await(ctx, a); err != nil || v != 16 {
		t.Fatalf("first: %d, %v", v, err)
	}
	if _, err := duet.Await(ctx, b); !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "charge-42") {
		t.Fatalf("second Submit of the key: %v; want ErrInvalidState naming the key", err)
	}
	if k := <-keys; k != "charge-42" {
		t.Fatalf("the handler saw key %q", k)
	}
	if v, err := duet.Await(ctx, remote.Submit(ctx, c, square, 5)); err != nil || v != 25 {
		t.Fatalf("a task without a key: %d, %v", v, err)
	}
	if len(keys) != 1 || <-keys != "" {
		t.Fatal("the keyed task ran twice, or a task without a key saw one")
	}
}
