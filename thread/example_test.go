package thread_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// Submit returns the one duet.Future, which goroutines and loop tasks
// await alike (Python: executor.submit(fn).result()).
func ExampleSubmit() {
	pool, err := thread.NewPool(4)
	if err != nil {
		panic(err)
	}
	defer pool.Shutdown(true, false)
	ctx := context.Background()
	f := thread.Submit(ctx, pool, func(ctx context.Context) (int, error) {
		return 6 * 7, nil // runs in parallel with the caller, on a worker
	})
	v, err := duet.Await(ctx, f)
	fmt.Println(v, err)
	// Output:
	// 42 <nil>
}

// Pool.Go runs tasks without a future each, as errgroup.Group.Go and
// ants.Pool.Submit do: the caller waits its own way, here with a WaitGroup
// (Python: executor.submit(fn) with the future dropped).
func ExamplePool_Go() {
	pool, err := thread.NewPool(4)
	if err != nil {
		panic(err)
	}
	defer pool.Shutdown(true, false)
	ctx := context.Background()
	var wg sync.WaitGroup
	var sum atomic.Int64
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		err := pool.Go(ctx, func(ctx context.Context) error {
			defer wg.Done() // counts the task even if it panics
			sum.Add(int64(i))
			return nil
		})
		if err != nil { // shut down, or ctx ended while the queue was full
			wg.Done()
			fmt.Println(err)
		}
	}
	wg.Wait()
	fmt.Println(sum.Load())
	// Output:
	// 5050
}

// A Go task's error is not lost although nobody waits for it: it goes to
// the except hook at once (Python would drop it with the future).
func ExamplePool_Go_exceptHook() {
	reported := make(chan thread.ExceptHookArgs, 1)
	prev := thread.SetExceptHook(func(a thread.ExceptHookArgs) { reported <- a })
	defer thread.SetExceptHook(prev)
	pool, err := thread.NewPool(1, thread.WithNamePrefix("fetch"))
	if err != nil {
		panic(err)
	}
	defer pool.Shutdown(true, false)
	err = pool.Go(context.Background(), func(ctx context.Context) error {
		return errors.New("connection refused")
	})
	if err != nil {
		panic(err)
	}
	a := <-reported
	fmt.Println(a.Thread.Name, a.Err)
	// Output:
	// fetch_0 connection refused
}

// Map yields results in input order, reading its input lazily with a
// bounded number of tasks in flight (Python: executor.map with buffersize).
func ExampleMap() {
	pool, err := thread.NewPool(2)
	if err != nil {
		panic(err)
	}
	defer pool.Shutdown(true, false)
	square := func(ctx context.Context, n int) (int, error) { return n * n, nil }
	for r, err := range thread.Map(context.Background(), pool, slices.Values([]int{1, 2, 3, 4}), square) {
		fmt.Println(r, err)
	}
	// Output:
	// 1 <nil>
	// 4 <nil>
	// 9 <nil>
	// 16 <nil>
}

// A Thread runs a function on its own goroutine; Join returns its value and
// error (Python's join() returns nothing: the result is kept here).
func ExampleStart() {
	ctx := context.Background()
	th := thread.Start(ctx, "worker", func(ctx context.Context) (string, error) {
		return "done", nil
	})
	v, err := th.Join(ctx)
	fmt.Println(th.Name(), v, err)
	// Output:
	// worker done <nil>
}
