package aio_test

import (
	"context"
	"testing"

	"github.com/duet-go/duet/aio"
)

// BenchmarkStreamEchoRoundTrip: one 64-byte message at a time between a
// Dial'd stream and a Listen handler written as examples/echo's (Read,
// Write, Drain), both tasks of one loop, over loopback: the stream
// layer's cost per request on top of BenchmarkTCPEchoRoundTrip's.
func BenchmarkStreamEchoRoundTrip(b *testing.B) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", echoHandler)
		if err != nil {
			return err
		}
		defer srv.Close()
		c, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer c.Close()
		msg := make([]byte, 64)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := c.Write(ctx, msg); err != nil {
				return err
			}
			if _, err := c.ReadExactly(ctx, len(msg)); err != nil {
				return err
			}
		}
		b.StopTimer()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// echoHandler is examples/echo's stream handler: it writes back what it
// reads until the peer is done.
func echoHandler(ctx context.Context, s *aio.Stream) error {
	for {
		p, err := s.Read(ctx, 64<<10)
		if err != nil {
			return err
		}
		if err := s.Write(ctx, p); err != nil {
			return err
		}
		if err := s.Drain(ctx); err != nil {
			return err
		}
	}
}
