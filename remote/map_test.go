package remote_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

var square = remote.Define[int, int]("test.square/v1")

func TestMapOrderedAndBounded(t *testing.T) {
	var live, peak atomic.Int32
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, square, func(ctx context.Context, x int) (int, error) {
		n := live.Add(1)
		defer live.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if x == 7 {
			return 0, errors.New("seven")
		}
		return x * x, nil
	}))
	_, c, _ := setup(t, reg, remote.WithSlots(16))
	var got []int
	for v, err := range remote.Map(ctxT(t), c, square, slices.Values(make([]int, 0)), 4) {
		t.Fatalf("an empty input yielded %d, %v", v, err)
	}
	i := 0
	for v, err := range remote.Map(ctxT(t), c, square, countTo(200), 4) {
		if i == 7 {
			if err == nil || err.Error() != "seven" {
				t.Fatalf("element 7: %d, %v; want its error in its place", v, err)
			}
		} else if err != nil || v != i*i {
			t.Fatalf("element %d: %d, %v", i, v, err)
		}
		got = append(got, v)
		i++
	}
	if len(got) != 200 {
		t.Fatalf("%d results, want 200", len(got))
	}
	if p := peak.Load(); p > 4 {
		t.Fatalf("%d tasks ran at once; Map's bound is 4", p)
	}
	for _, err := range remote.Map(ctxT(t), c, square, countTo(10), 0) {
		if err == nil {
			t.Fatal("inFlight 0 accepted")
		}
	}
}

func TestMapCtxEndCancelsInFlight(t *testing.T) {
	started, ended, release := make(chan string, 100), make(chan error, 100), make(chan struct{})
	defer close(release)
	e, c, _ := setup(t, blockRegistry(t, started, ended, release), remote.WithSlots(4))
	ctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		for range 3 {
			<-started
		}
		cancel()
	}()
	names := slices.Values([]string{"a", "b", "c", "d", "e", "f"})
	var errs []error
	for _, err := range remote.Map(ctx, c, block, names, 3) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], duet.ErrCancelled) {
		t.Fatalf("Map yielded %v; want one cancellation", errs)
	}
	for range 3 {
		if err := <-ended; err == nil {
			t.Fatal("a task in flight ran to its end after Map stopped")
		}
	}
	drained(t, e)
	if len(started) != 0 {
		t.Fatalf("%d more tasks started after Map stopped", len(started))
	}
}

func countTo(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}
