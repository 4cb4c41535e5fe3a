//go:build !race

package aio_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// TestStressConnectChurn connects and disconnects as fast as a few
// goroutines can (the standard library's dialer: a real peer) to a duet
// stream server for DUET_CHURN_SECONDS (default 3; scripts/test.sh, the CI
// command, sets 10, issue 8's figure), each connection
// echoing a line, with half of the clients closing before they read the
// answer; afterwards no descriptor is left open, and goleak in TestMain
// finds no goroutine left. It prints the rate reached.
func TestStressConnectChurn(t *testing.T) {
	seconds := 3
	if s := os.Getenv("DUET_CHURN_SECONDS"); s != "" {
		fmt.Sscan(s, &seconds)
	}
	// Each connection the client closes first leaves its port in
	// TIME_WAIT for a minute; without tcp_tw_reuse the 28,000 ports of the
	// usual range run out, so the test then stops at 20,000 connections.
	limit := int64(1 << 62)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_tw_reuse"); err != nil || len(b) == 0 || b[0] == '0' {
		limit = 20000
	}
	before := openFDs(t)
	var served atomic.Int64
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			line, err := s.ReadLine(ctx)
			if err != nil {
				return nil // the client went away first: part of the test
			}
			served.Add(1)
			s.Write(ctx, line)
			return s.Drain(ctx)
		}, aio.WithLimit(1<<10))
		if err != nil {
			return err
		}
		addr := srv.Addrs()[0].String()
		stop := time.Now().Add(time.Duration(seconds) * time.Second)
		var wg sync.WaitGroup
		var conns, errs atomic.Int64
		var firstErr atomic.Value
		for w := range 4 {
			wg.Go(func() {
				for i := 0; time.Now().Before(stop) && conns.Load() < limit; i++ {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					conns.Add(1)
					c.SetDeadline(time.Now().Add(10 * time.Second))
					fmt.Fprintf(c, "client %d.%d\n", w, i)
					if i%2 == 0 {
						if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
							errs.Add(1)
							firstErr.CompareAndSwap(nil, err)
						}
					}
					c.Close()
				}
			})
		}
		done := duet.NewFuture[struct{}]()
		go func() { wg.Wait(); done.SetResult(struct{}{}) }()
		if _, err := duet.Await(ctx, done); err != nil {
			return err
		}
		srv.Close()
		srv.CloseClients()
		if err := srv.WaitClosed(ctx); err != nil {
			return err
		}
		n := conns.Load()
		t.Logf("%d connections in %d s (%.0f/s), %d lines served, %d client errors", n, seconds, float64(n)/float64(seconds), served.Load(), errs.Load())
		if e := errs.Load(); e > 0 {
			return fmt.Errorf("%d client errors, the first: %v", e, firstErr.Load())
		}
		if served.Load() < n/2 {
			return fmt.Errorf("%d lines served for %d connections", served.Load(), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}
