//go:build amd64 && !race

package aio_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// TestIdleHandlerStack: a stream handler parked in its first Read holds a
// stack of the runtime's smallest size, 2 KiB. Every frame between the
// task's coroutine and its switch stays on that stack while it waits; one
// frame too many past 1,120 bytes (what a 2 KiB stack leaves above its
// guard) makes every idle connection's stack 4 KiB, which the runtime then
// never shrinks back. (The race detector's larger frames and guard need
// more: the test is for ordinary builds.)
func TestIdleHandlerStack(t *testing.T) {
	const n = 256
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		started := 0
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			started++
			return echoHandler(ctx, s)
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		before := stackInuse()
		var clients []*aio.Stream
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		for range n {
			c, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
			if err != nil {
				return err
			}
			clients = append(clients, c)
		}
		// A handler counts itself and parks in one step of its task, so
		// once all have counted, all are parked.
		for started < n {
			if err := duet.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		per := float64(stackInuse()-before) / n
		t.Logf("stack in use per idle handler: %.0f bytes", per)
		if per > 3<<10 {
			return fmt.Errorf("an idle stream handler holds %.0f bytes of stack; want a 2 KiB stack (its parked frames past 1,120 bytes?)", per)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func stackInuse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse)
}
