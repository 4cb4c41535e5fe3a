package aio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Run is asyncio.run: main runs as a task; tasks it spawns run
// concurrently on the same goroutine, switching only where they wait.
func ExampleRun() {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		greet := func(name string, d time.Duration) *aio.Task[string] {
			return aio.Spawn(ctx, func(ctx context.Context) (string, error) {
				if err := duet.Sleep(ctx, d); err != nil {
					return "", err
				}
				fmt.Println("done:", name)
				return "hello " + name, nil
			})
		}
		a, b := greet("slow", 20*time.Millisecond), greet("fast", 10*time.Millisecond)
		msgs, err := duet.Gather(ctx, a, b)
		fmt.Println(msgs)
		return err
	}, aio.WithVirtualClock())
	fmt.Println("err:", err)
	// Output:
	// done: fast
	// done: slow
	// [hello slow hello fast]
	// err: <nil>
}

// Cancelling a task delivers duet.ErrCancelled at the wait it is parked in;
// the task may clean up before it ends.
func ExampleTask_Cancel() {
	aio.Run(context.Background(), func(ctx context.Context) error {
		task := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			err := duet.Sleep(ctx, time.Hour)
			fmt.Println("task woke:", err)
			return 0, err
		})
		duet.Sleep(ctx, 0) // let it start
		task.Cancel("shutting down")
		_, err := duet.Await(ctx, task)
		fmt.Println(errors.Is(err, duet.ErrCancelled), task.Cancelled())
		return nil
	}, aio.WithVirtualClock())
	// Output:
	// task woke: duet: cancelled: shutting down
	// true true
}

// With a virtual clock, an hour of timers takes no real time and happens in
// a deterministic order: the clock jumps whenever every task waits.
func ExampleWithVirtualClock() {
	aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		start := l.Time()
		err := duet.WithTimeout(ctx, time.Hour, func(ctx context.Context) error {
			return duet.Sleep(ctx, 24*time.Hour)
		})
		fmt.Println(errors.Is(err, duet.ErrTimeout), l.Time().Sub(start))
		return nil
	}, aio.WithVirtualClock())
	// Output:
	// true 1h0m0s
}

// ToThread runs a blocking function on the loop's default executor; the
// loop runs other tasks meanwhile.
func ExampleToThread() {
	aio.Run(context.Background(), func(ctx context.Context) error {
		n, err := aio.ToThread(ctx, func(ctx context.Context) (int, error) {
			sum := 0
			for i := range 1000 {
				sum += i
			}
			return sum, nil // CPU work or a blocking call, off the loop
		})
		fmt.Println(n, err)
		return nil
	})
	// Output:
	// 499500 <nil>
}
