package duet_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// fetch pretends to fetch name, taking d.
func fetch(ctx context.Context, name string, d time.Duration) (string, error) {
	if err := duet.Sleep(ctx, d); err != nil {
		return "", err
	}
	return "<" + name + ">", nil
}

// Gather waits for tasks that already run concurrently and returns their
// values in argument order, whatever order they finish in.
func ExampleGather() {
	aio.Run(context.Background(), func(ctx context.Context) error {
		a := aio.Spawn(ctx, func(ctx context.Context) (string, error) { return fetch(ctx, "a", 2*time.Second) })
		b := aio.Spawn(ctx, func(ctx context.Context) (string, error) { return fetch(ctx, "b", time.Second) })
		start := aio.LoopOf(ctx).Time()
		pages, err := duet.Gather[string](ctx, a, b)
		fmt.Println(pages, err, aio.LoopOf(ctx).Time().Sub(start))
		return nil
	}, aio.WithVirtualClock())
	// Output: [<a> <b>] <nil> 2s
}

// WithTimeout cancels the work in progress when the deadline passes and
// reports a *TimeoutError; TimeoutFrom gives the work access to the
// deadline.
func ExampleWithTimeout() {
	aio.Run(context.Background(), func(ctx context.Context) error {
		err := duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := fetch(ctx, "slow", time.Minute)
			fmt.Println("fetch:", err)
			return err
		})
		fmt.Println(err, errors.Is(err, duet.ErrTimeout), errors.Is(err, duet.ErrCancelled))

		// Rescheduling the deadline from inside.
		err = duet.WithTimeout(ctx, time.Second, func(ctx context.Context) error {
			tm := duet.TimeoutFrom(ctx)
			tm.Reschedule(tm.When().Add(time.Minute))
			_, err := fetch(ctx, "slow", time.Minute)
			return err
		})
		fmt.Println(err)
		return nil
	}, aio.WithVirtualClock())
	// Output:
	// fetch: duet: cancelled
	// duet: timeout true false
	// <nil>
}

// A Group ties its children's lifetimes together: the first failure
// cancels the others, and Wait reports every failure.
func ExampleGroup() {
	errNotFound := errors.New("not found")
	aio.Run(context.Background(), func(ctx context.Context) error {
		g, gctx := duet.NewGroup(ctx)
		ok := duet.Go(g, func(ctx context.Context) (string, error) { return fetch(ctx, "ok", time.Second) })
		slow := duet.Go(g, func(ctx context.Context) (string, error) { return fetch(ctx, "slow", time.Hour) })
		duet.Go(g, func(ctx context.Context) (string, error) {
			duet.Sleep(ctx, 2*time.Second)
			return "", errNotFound
		})
		if err := duet.Sleep(gctx, time.Hour); err != nil {
			fmt.Println("body interrupted:", err)
		}
		err := g.Wait()
		v, _ := ok.Result()
		fmt.Println(v, slow.Cancelled(), errors.Is(err, errNotFound))
		return nil
	}, aio.WithVirtualClock())
	// Output:
	// body interrupted: duet: cancelled
	// <ok> true true
}
