package remote_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

type addArgs struct{ A, B int }

var add = remote.Define[addArgs, int]("test.add/v1")

func TestSubmitResult(t *testing.T) {
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, add, func(ctx context.Context, a addArgs) (int, error) { return a.A + a.B, nil }))
	_, c, _ := setup(t, reg)
	ctx := ctxT(t)
	futs := make([]*duet.Future[int], 100)
	for i := range futs {
		futs[i] = remote.Submit(ctx, c, add, addArgs{i, 1000})
	}
	for i, f := range futs {
		v, err := duet.Await(ctx, f)
		if err != nil || v != i+1000 {
			t.Fatalf("task %d: got %d, %v; want %d", i, v, err, i+1000)
		}
	}
	if n := c.Pending(); n != 0 {
		t.Fatalf("Pending() = %d after every result, want 0", n)
	}
}

func TestUnknownTaskVersion(t *testing.T) {
	reg := remote.NewRegistry()
	v2 := remote.Define[addArgs, int]("test.add/v2")
	must(t, remote.Handle(reg, v2, func(ctx context.Context, a addArgs) (int, error) { return 0, nil }))
	_, c, _ := setup(t, reg)
	_, err := duet.Await(ctxT(t), remote.Submit(ctxT(t), c, add, addArgs{}))
	if !errors.Is(err, remote.ErrUnknownTask) || !strings.Contains(err.Error(), "test.add/v2") {
		t.Fatalf("err = %v; want ErrUnknownTask naming the version served", err)
	}
}

// []byte arguments and results skip the codec; a caller and a worker that
// disagree on the types under one name get a codec error, never a hang.
func TestBytesPassThrough(t *testing.T) {
	reg := remote.NewRegistry()
	echo := remote.Define[[]byte, []byte]("test.bytes/v1")
	must(t, remote.Handle(reg, echo, func(ctx context.Context, b []byte) ([]byte, error) { return append(b, '!'), nil }))
	toStr := remote.Define[[]byte, string]("test.tostr/v1")
	must(t, remote.Handle(reg, toStr, func(ctx context.Context, b []byte) (string, error) { return string(b), nil }))
	fromStr := remote.Define[string, []byte]("test.fromstr/v1")
	must(t, remote.Handle(reg, fromStr, func(ctx context.Context, s string) ([]byte, error) { return []byte(s), nil }))
	anyArg := remote.Define[any, int]("test.anyarg/v1")
	must(t, remote.Handle(reg, anyArg, func(ctx context.Context, v any) (int, error) { s, _ := v.(string); return len(s), nil }))
	_, c, _ := setup(t, reg)
	ctx := ctxT(t)

	arg := []byte{0, 1, 2, 0xff, ' ', ','}
	if v, err := duet.Await(ctx, remote.Submit(ctx, c, echo, arg)); err != nil || string(v) != string(arg)+"!" {
		t.Fatalf("echo: %q, %v", v, err)
	}
	if v, err := duet.Await(ctx, remote.Submit(ctx, c, toStr, []byte("abc"))); err != nil || v != "abc" {
		t.Fatalf("[]byte → string: %q, %v", v, err)
	}
	if v, err := duet.Await(ctx, remote.Submit(ctx, c, fromStr, "abc")); err != nil || string(v) != "abc" {
		t.Fatalf("string → []byte: %q, %v", v, err)
	}
	// A Task[any, R] given a []byte encodes it: the JSON of a []byte is a
	// base64 string.
	if v, err := duet.Await(ctx, remote.Submit[any](ctx, c, anyArg, any([]byte("abc")))); err != nil || v != 4 {
		t.Fatalf("any([]byte): %d, %v; want the length of base64 \"abc\", 4", v, err)
	}

	// The same names with other types on the caller's side.
	asStr := remote.Define[string, string]("test.bytes/v1")
	if _, err := duet.Await(ctx, remote.Submit(ctx, c, asStr, "x")); !errors.Is(err, remote.ErrCodec) {
		t.Fatalf("string args to a []byte handler: err = %v; want ErrCodec", err)
	}
	asBytes := remote.Define[[]byte, int]("test.add/v1")
	must(t, remote.Handle(reg, add, func(ctx context.Context, a addArgs) (int, error) { return a.A + a.B, nil }))
	if _, err := duet.Await(ctx, remote.Submit(ctx, c, asBytes, []byte("{}"))); !errors.Is(err, remote.ErrCodec) {
		t.Fatalf("[]byte args to an addArgs handler: err = %v; want ErrCodec", err)
	}
}
