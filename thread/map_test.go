package thread_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func square(_ context.Context, v int) (int, error) { return v * v, nil }

func TestMapOrdered(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 4)
	i := 0
	for r, err := range thread.Map(ctx, p, count(1000), square) {
		if err != nil || r != i*i {
			t.Fatalf("result %d = %v, %v", i, r, err)
		}
		i++
	}
	if i != 1000 {
		t.Fatalf("%d results", i)
	}
	// Each range starts afresh.
	n := 0
	for range thread.Map(ctx, p, count(10), square) {
		n++
	}
	if n != 10 {
		t.Fatalf("second range: %d results", n)
	}
}

// Map reads its input lazily, never more than WithInFlight ahead of the
// consumer, so an endless input works.
func TestMapLazyBounded(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 2)
	var pulled atomic.Int64
	endless := func(yield func(int) bool) {
		for i := 0; ; i++ {
			pulled.Add(1)
			if !yield(i) {
				return
			}
		}
	}
	got := 0
	for r, err := range thread.Map(ctx, p, endless, square, thread.WithInFlight(4)) {
		if err != nil || r != got*got {
			t.Fatalf("result %d = %v, %v", got, r, err)
		}
		got++
		// Results yielded + in flight <= 4.
		if ahead := pulled.Load() - int64(got); ahead > 4 {
			t.Fatalf("input read %d ahead of the consumer", ahead)
		}
		if got == 100 {
			break
		}
	}
	// Default bound: twice the pool's size.
	pulled.Store(0)
	for range thread.Map(ctx, p, endless, square) {
		if n := pulled.Load(); n != 4 {
			t.Fatalf("default in-flight bound: %d read before the first result, want 4", n)
		}
		break
	}
}

func TestMapErrorsInPlace(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 3)
	var got []string
	for r, err := range thread.Map(ctx, p, count(6), func(_ context.Context, v int) (int, error) {
		if v%3 == 1 {
			return 0, fmt.Errorf("bad %d", v)
		}
		if v == 5 {
			panic("five")
		}
		return v, nil
	}) {
		var pe *duet.PanicError
		switch {
		case errors.As(err, &pe):
			got = append(got, "panic")
		case err != nil:
			got = append(got, err.Error())
		default:
			got = append(got, fmt.Sprint(r))
		}
	}
	if want := "0,bad 1,2,3,bad 4,panic"; strings.Join(got, ",") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

// Breaking out of the loop cancels what is in flight: queued tasks never
// run, running ones see their context cancelled.
func TestMapBreakCancelsInFlight(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	var started atomic.Int32
	var sawCancel atomic.Int32
	fn := func(ctx context.Context, v int) (int, error) {
		started.Add(1)
		if v == 0 {
			return 0, nil
		}
		<-ctx.Done() // element 1 runs until Map is left
		sawCancel.Add(1)
		return 0, ctx.Err()
	}
	for r, err := range thread.Map(ctx, p, count(10), fn, thread.WithInFlight(5)) {
		if r != 0 || err != nil {
			t.Fatal(r, err)
		}
		eventually(t, "element 1 to start", func() bool { return started.Load() == 2 })
		break
	}
	p.Shutdown(true, false)
	if started.Load() != 2 || sawCancel.Load() != 1 {
		t.Fatalf("%d started, %d saw the cancellation; want 2 and 1", started.Load(), sawCancel.Load())
	}
}

func TestMapContextEnds(t *testing.T) {
	p := newPool(t, 1)
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	var results, errs int
	for _, err := range thread.Map(ctx, p, count(5), func(_ context.Context, v int) (int, error) {
		if v == 1 {
			<-release
		}
		return v, nil
	}) {
		if err != nil {
			if !errors.Is(err, duet.ErrCancelled) {
				t.Fatalf("error %v", err)
			}
			errs++
			continue
		}
		results++
		cancel() // while Map waits for element 1
	}
	if results != 1 || errs != 1 {
		t.Fatalf("%d results, %d errors; want 1 and 1", results, errs)
	}
}

func TestMapBadInput(t *testing.T) {
	ctx := guard(t)
	p := newPool(t, 1)
	cases := map[string]iter.Seq2[int, error]{
		"nil *Pool":       thread.Map(ctx, nil, count(3), square),
		"nil input":       thread.Map[int, int](ctx, p, nil, square),
		"nil function":    thread.Map[int, int](ctx, p, count(3), nil),
		"WithInFlight(0)": thread.Map(ctx, p, count(3), square, thread.WithInFlight(0)),
		"nil MapOption":   thread.Map(ctx, p, count(3), square, nil),
	}
	for want, seq := range cases {
		n := 0
		for _, err := range seq {
			n++
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v", want, err)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d items, want one error", want, n)
		}
	}
	closed := newPool(t, 1)
	closed.Shutdown(true, false)
	for _, err := range thread.Map(ctx, closed, count(3), square) {
		if !errors.Is(err, duet.ErrClosed) {
			t.Fatalf("Map on a closed pool: %v", err)
		}
		break
	}
}

// Map from a loop task suspends the task while it waits for results: the
// first task waits for another task of the loop to run.
func TestMapOnLoopTask(t *testing.T) {
	p := newPool(t, 2)
	err := aio.Run(guard(t), func(ctx context.Context) error {
		ticked := make(chan struct{})
		ticker := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(ticked)
			return 0, nil
		})
		sum := 0
		for r, err := range thread.Map(ctx, p, count(100), func(ctx context.Context, v int) (int, error) {
			if v == 0 {
				select {
				case <-ticked:
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			}
			return v, nil
		}) {
			if err != nil {
				return err
			}
			sum += r
		}
		if _, err := duet.Await(ctx, ticker); err != nil {
			return err
		}
		if sum != 4950 {
			return fmt.Errorf("sum %d", sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
