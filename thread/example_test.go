package thread_test

import (
	"context"
	"fmt"
	"slices"

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
