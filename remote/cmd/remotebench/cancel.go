package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/duet-go/duet/remote"
)

var wait = remote.Define[int, int]("bench.wait/v1")

// cancelLatency measures how long after a caller cancels a running task
// the worker's handler sees its context done, n times, one at a time.
func cancelLatency(n int) error {
	dir, err := os.MkdirTemp("", "remotebench-cancel-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e, err := remote.NewEngine(remote.WithStoreDir(dir))
	if err != nil {
		return err
	}
	defer e.Close()
	started, seen := make(chan struct{}), make(chan time.Time)
	reg := remote.NewRegistry()
	if err := remote.Handle(reg, wait, func(ctx context.Context, _ int) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		seen <- time.Now()
		return 0, ctx.Err()
	}); err != nil {
		return err
	}
	w, err := remote.Serve(e, reg, remote.WithSlots(1))
	if err != nil {
		return err
	}
	defer w.Shutdown(true, true)
	c, err := remote.NewClient(e)
	if err != nil {
		return err
	}
	defer c.Shutdown(true, true)
	lat := make([]time.Duration, n)
	for i := range lat {
		ctx, cancel := context.WithCancel(context.Background())
		remote.Submit(ctx, c, wait, i)
		<-started
		t0 := time.Now()
		cancel()
		lat[i] = (<-seen).Sub(t0)
	}
	slices.Sort(lat)
	fmt.Printf("cancel → worker ctx done, %d running tasks one at a time: p50 %.1f µs  p99 %.1f µs\n", n, us(lat[n/2]), us(lat[n*99/100]))
	return nil
}
