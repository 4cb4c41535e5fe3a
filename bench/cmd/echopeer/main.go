// Command echopeer is a TCP echo server that duetbench's echo and idle
// sections compare duet's servers with:
//
//	echopeer -impl net  -addr 127.0.0.1:9000   # Go net: a goroutine per connection, 4 KiB buffer
//	echopeer -impl gnet -addr 127.0.0.1:9000   # gnet v2, one event loop (no multicore)
//	echopeer -impl gnet -loops 4 -addr ...     # gnet v2, four event loops (multicore)
//
// It prints exactly one line "listening on ADDR" when it accepts
// connections, exits with status 0 on SIGINT or SIGTERM, and on SIGUSR1
// prints one line "stats {JSON}" with the Go runtime's memory after a GC
// (heap and stacks in use, goroutines), which the idle section reads.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

func main() {
	impl := flag.String("impl", "net", "net (goroutine per connection) or gnet (one event loop)")
	addr := flag.String("addr", "127.0.0.1:0", "HOST:PORT to listen on")
	loops := flag.Int("loops", 1, "gnet: event loops (more than 1: multicore, one per core)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go printStatsOnUSR1()

	var err error
	switch *impl {
	case "net":
		err = serveNet(ctx, *addr)
	case "gnet":
		err = serveGnet(ctx, *addr, *loops)
	default:
		err = fmt.Errorf("unknown -impl %q (net or gnet)", *impl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echopeer:", err)
		os.Exit(1)
	}
}

// printStatsOnUSR1 answers every SIGUSR1 with one "stats" line.
func printStatsOnUSR1() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	for range ch {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b, _ := json.Marshal(map[string]uint64{
			"heap_inuse":  m.HeapInuse,
			"heap_alloc":  m.HeapAlloc,
			"stack_inuse": m.StackInuse,
			"sys":         m.Sys,
			"goroutines":  uint64(runtime.NumGoroutine()),
		})
		fmt.Printf("stats %s\n", b)
	}
}

func serveNet(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// EMFILE and the like: back off, as net/http does.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil { // io.EOF, a reset peer, or shutdown
					break
				}
			}
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

type gnetEcho struct {
	gnet.BuiltinEventEngine
	addr string
	eng  chan gnet.Engine
}

func (e *gnetEcho) OnBoot(eng gnet.Engine) gnet.Action {
	fmt.Printf("listening on %s\n", e.addr)
	e.eng <- eng
	return gnet.None
}

func (e *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func serveGnet(ctx context.Context, addr string, loops int) error {
	h := &gnetEcho{addr: addr, eng: make(chan gnet.Engine, 1)}
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(h, "tcp://"+addr,
			gnet.WithMulticore(loops > 1), gnet.WithNumEventLoop(max(loops, 1)),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithLogLevel(logging.ErrorLevel))
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case eng := <-h.eng:
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := eng.Stop(sctx); err != nil {
			return err
		}
	default:
		// Signalled before boot finished: nothing is serving yet.
		return nil
	}
	return <-done
}
