// Command tour walks through duet's asyncio model on a small real
// workload: tasks and Gather, a timeout, a work queue with worker tasks, a
// cancelled task, and a goroutine handing a result to a task through one
// Future. Every step prints what happens, with the loop's elapsed time.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func main() {
	err := aio.Run(context.Background(), func(ctx context.Context) error { return tour(ctx, os.Stdout) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

func tour(ctx context.Context, out io.Writer) error {
	start := aio.LoopOf(ctx).Time()
	say := func(format string, args ...any) {
		el := aio.LoopOf(ctx).Time().Sub(start).Round(time.Millisecond)
		fmt.Fprintf(out, "[%6v] %s\n", el, fmt.Sprintf(format, args...))
	}

	// 1. Tasks run concurrently on one goroutine; Gather returns results in
	// argument order whatever the order they finish in.
	say("1. tasks and Gather: three downloads of different lengths")
	download := func(name string, d time.Duration) *aio.Task[string] {
		return aio.Spawn(ctx, func(ctx context.Context) (string, error) {
			say("   %s: start (%v)", name, d)
			if err := duet.Sleep(ctx, d); err != nil {
				return "", err
			}
			say("   %s: done", name)
			return name + ".bin", nil
		}, aio.WithName(name))
	}
	files, err := duet.Gather(ctx, download("slow", 30*time.Millisecond),
		download("fast", 10*time.Millisecond), download("medium", 20*time.Millisecond))
	if err != nil {
		return err
	}
	say("   gathered %v (argument order)", files)

	// 2. A timeout cancels the work inside it and reports ErrTimeout.
	say("2. a timeout: a 1 s job under a 50 ms timeout")
	err = duet.WithTimeout(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		return duet.Sleep(ctx, time.Second)
	})
	say("   errors.Is(err, duet.ErrTimeout) = %v", errors.Is(err, duet.ErrTimeout))

	// 3. A bounded queue feeds three worker tasks that hash real data;
	// Join waits until every item is processed.
	say("3. a queue: 12 blocks of 256 KiB hashed by 3 worker tasks")
	q := duet.NewQueue[[]byte](4)
	var workers []duet.Awaitable[int]
	for w := range 3 {
		name := fmt.Sprintf("worker-%d", w)
		workers = append(workers, aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			n := 0
			for {
				block, err := q.Get(ctx)
				if err != nil {
					return n, nil // the queue was shut down: no more work
				}
				sum := sha256.Sum256(block)
				_ = sum
				n++
				q.TaskDone()
				duet.Sleep(ctx, time.Millisecond) // yield, as a real worker waiting on I/O would
			}
		}, aio.WithName(name)))
	}
	for i := range 12 {
		block := make([]byte, 256<<10)
		for j := range block {
			block[j] = byte(i + j)
		}
		if err := q.Put(ctx, block); err != nil { // waits while the queue is full
			return err
		}
	}
	if err := q.Join(ctx); err != nil {
		return err
	}
	q.Shutdown(false)
	counts, err := duet.Gather(ctx, workers...)
	if err != nil {
		return err
	}
	say("   all blocks hashed; blocks per worker %v", counts)

	// 4. Cancelling a task delivers ErrCancelled at its pending wait; the
	// task can clean up.
	say("4. a cancelled task")
	long := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		err := duet.Sleep(ctx, time.Hour)
		say("   long task: woke with %q, cleaning up", err)
		return 0, err
	}, aio.WithName("long"))
	duet.Sleep(ctx, 5*time.Millisecond)
	long.Cancel("no longer needed")
	_, err = duet.Await(ctx, long)
	say("   errors.Is(err, duet.ErrCancelled) = %v, Cancelled() = %v", errors.Is(err, duet.ErrCancelled), long.Cancelled())

	// 5. One Future for both worlds: a goroutine computes, a task awaits
	// without blocking the loop.
	say("5. a goroutine completes a Future that a task awaits")
	result := duet.NewFuture[int]()
	go func() {
		n := 0
		for i := range 50_000_000 {
			n += i % 7
		}
		result.SetResult(n)
	}()
	ticks := 0
	ticker := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		for !result.IsDone() {
			ticks++
			duet.Sleep(ctx, time.Millisecond)
		}
		return ticks, nil
	})
	v, err := duet.Await(ctx, result)
	if err != nil {
		return err
	}
	duet.Await(ctx, ticker)
	say("   goroutine result %d; the loop stayed responsive (%d ticks meanwhile); GOMAXPROCS=%d", v, ticks, runtime.GOMAXPROCS(0))
	return nil
}
