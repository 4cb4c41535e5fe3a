//go:build !race

package aio_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/duet-go/duet/aio"
)

// A read loop with ReadInto allocates nothing per message, on either end of
// a real connection: the receive buffer keeps its (small) memory once
// drained by a copy, and the handler's waits reuse its task's waiter. One
// buffer serves every handler of the loop, as examples/echo's does: each
// fills it and writes it out within one step. (The race detector allocates
// on its own: the test is for ordinary builds.)
func TestStreamReadIntoAllocatesNothing(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		shared := make([]byte, 4<<10)
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			for {
				n, err := s.ReadInto(ctx, shared)
				if err != nil {
					return nil
				}
				if err := s.Write(ctx, shared[:n]); err != nil {
					return err
				}
			}
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		c, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer c.Close()
		msg, in := make([]byte, 64), make([]byte, 64)
		var rerr error
		roundTrip := func() {
			if err := c.Write(ctx, msg); err != nil {
				rerr = err
				return
			}
			for got := 0; got < len(in) && rerr == nil; {
				n, err := c.ReadInto(ctx, in[got:])
				got, rerr = got+n, err
			}
		}
		roundTrip() // the first message allocates the receive buffers
		allocs := testing.AllocsPerRun(200, roundTrip)
		if rerr != nil {
			return rerr
		}
		if allocs != 0 {
			return fmt.Errorf("an echo round trip with ReadInto allocates %.2f objects; want none", allocs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
