package aio_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Four loops serve one address (SO_REUSEPORT, port 0 picked once for the
// group); the kernel spreads connections across them, and cancelling the
// context stops them all.
func TestRunLoopsServeOneAddress(t *testing.T) {
	const loops = 4
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make([]string, loops)
	ready := duet.NewFuture[struct{}]()
	var mu sync.Mutex
	listening := 0
	done := make(chan error, 1)
	go func() {
		done <- aio.RunLoops(ctx, loops, func(ctx context.Context) error {
			i, n, ok := aio.LoopIndex(ctx)
			if !ok || n != loops {
				return fmt.Errorf("LoopIndex = %d, %d, %v", i, n, ok)
			}
			s, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
				return s.Write(ctx, []byte(strconv.Itoa(i)+"\n"))
			}, aio.WithServerOptions(aio.WithReusePort()))
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
			duet.Sleep(ctx, duet.NoTimeout) // until RunLoops' ctx is cancelled
			return nil
		})
	}()
	if _, err := duet.Await(context.Background(), ready); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < loops; i++ {
		if addrs[i] != addrs[0] {
			t.Fatalf("loops listen on %v: want one address", addrs)
		}
	}
	served := map[string]int{}
	for range 200 {
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
	if len(served) < 2 {
		t.Errorf("200 connections were all served by one loop: %v", served)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunLoops after cancel: %v", err)
	}
}

// The first main to fail cancels the others, and RunLoops returns its
// error; duet's primitives carry work between the loops.
func TestRunLoopsFailureAndSharedQueue(t *testing.T) {
	q := duet.NewQueue[int](0)
	var got sync.Map
	boom := errors.New("boom")
	err := aio.RunLoops(context.Background(), 3, func(ctx context.Context) error {
		i, _, _ := aio.LoopIndex(ctx)
		switch i {
		case 0: // producer
			for k := range 100 {
				if err := q.Put(ctx, k); err != nil {
					return err
				}
			}
			return nil
		case 1: // consumer, then the failure once everything arrived
			for n := 0; n < 100; n++ {
				k, err := q.Get(ctx)
				if err != nil {
					return err
				}
				got.Store(k, true)
			}
			return boom
		default: // waits until cancelled by loop 1's failure
			return duet.Sleep(ctx, duet.NoTimeout)
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("RunLoops = %v, want loop 1's boom", err)
	}
	n := 0
	got.Range(func(any, any) bool { n++; return true })
	if n != 100 {
		t.Errorf("%d of 100 items crossed the loops", n)
	}
}

func TestRunLoopsBadInput(t *testing.T) {
	if err := aio.RunLoops(context.Background(), 2, nil); err == nil {
		t.Error("RunLoops with a nil main: no error")
	}
	if _, _, ok := aio.LoopIndex(context.Background()); ok {
		t.Error("LoopIndex outside RunLoops reported ok")
	}
	// Two loops, no reuse-port: the second cannot listen on the first's port.
	var first duet.Future[string]
	err := aio.RunLoops(context.Background(), 2, func(ctx context.Context) error {
		i, _, _ := aio.LoopIndex(ctx)
		addr := "127.0.0.1:0"
		if i == 1 {
			var err error
			if addr, err = duet.Await(ctx, &first); err != nil {
				return err
			}
		}
		s, err := aio.Listen(ctx, "tcp", addr, func(ctx context.Context, s *aio.Stream) error { return nil })
		if err != nil {
			return err
		}
		defer s.Close()
		if i == 0 {
			first.SetResult(s.Addrs()[0].String())
			duet.Sleep(ctx, duet.NoTimeout)
		}
		return nil
	})
	if err == nil || !errors.Is(err, errAddrInUse()) {
		t.Errorf("second listen without WithReusePort: %v, want address in use", err)
	}
}

func errAddrInUse() error { return syscall.EADDRINUSE }
