package aio

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
)

// Where SO_REUSEPORT does not balance (forced here), RunLoops' servers of
// one address share the first loop's acceptor, which hands connections to
// every loop in turn: 60 connections, 3 loops, 20 each. Closing the
// servers and cancelling ends the group cleanly.
func TestRunLoopsSharedAcceptor(t *testing.T) {
	forceSharedAccept = true
	defer func() { forceSharedAccept = false }()
	const loops = 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	addrs := make([]string, loops)
	listening := 0
	ready := duet.NewFuture[struct{}]()
	done := make(chan error, 1)
	go func() {
		done <- RunLoops(ctx, loops, func(ctx context.Context) error {
			i, _, _ := LoopIndex(ctx)
			s, err := Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *Stream) error {
				return s.Write(ctx, []byte(strconv.Itoa(i)+"\n"))
			}, WithServerOptions(WithReusePort()))
			if err != nil {
				return err
			}
			defer s.Close()
			mu.Lock()
			addrs[i] = s.Addrs()[0].String()
			if listening++; listening == loops {
				ready.SetResult(struct{}{})
			}
			mu.Unlock()
			duet.Sleep(ctx, duet.NoTimeout)
			return nil
		})
	}()
	if _, err := duet.Await(context.Background(), ready); err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs[1:] {
		if a != addrs[0] {
			t.Fatalf("servers report %v: want the acceptor's address on every loop", addrs)
		}
	}
	served := map[string]int{}
	for range 60 {
		c, err := net.Dial("tcp", addrs[0])
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		served[line]++
	}
	for i := range loops {
		if n := served[strconv.Itoa(i)+"\n"]; n != 60/loops {
			t.Errorf("loop %d served %d of 60 connections, want %d (round-robin): %v", i, n, 60/loops, served)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunLoops: %v", err)
	}
}
