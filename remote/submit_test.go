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
