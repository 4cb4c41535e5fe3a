// Command echo is a TCP echo server on duet's event loop, written with the
// low-level API: a Protocol per connection and no goroutine per
// connection (Python: the EchoServerProtocol of asyncio's documentation,
// served by loop.create_server). bench/cmd/duetbench measures it against
// Go's net package, gnet, asyncio and uvloop.
//
//	go run ./examples/echo -addr 127.0.0.1:7007 -api protocol -loops 1
//
// -loops N serves the address from N loops, one per core at most
// (aio.RunLoops, SO_REUSEPORT): the kernel spreads connections across them.
//
// It prints one line, "listening on ADDR", with the address it listens on
// (so -addr 127.0.0.1:0 works), once it accepts connections; it exits with
// status 0 on SIGINT or SIGTERM, and answers SIGUSR1 with a line
// `stats {"heap_inuse":N,"stack_inuse":N,"goroutines":N}` (runtime.MemStats'
// HeapInuse and StackInuse after a GC, in bytes, and runtime.NumGoroutine) for the
// benchmark's memory table and its churn section's leak check.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/examples/internal/demo"
)

func main() {
	api := flag.String("api", "protocol", "API to serve with: protocol (transports and protocols) or stream")
	addr, loops := demo.Flags("echo", "127.0.0.1:7007")
	var serve func(ctx context.Context) error
	switch *api {
	case "protocol":
		serve = func(ctx context.Context) error {
			return demo.Listen(ctx, addr, func() aio.BaseProtocol { return &echo{} })
		}
	case "stream":
		serve = func(ctx context.Context) error { return serveStreams(ctx, addr) }
	default:
		fmt.Fprintf(os.Stderr, "-api %s: unknown (want protocol or stream)\n", *api)
		os.Exit(2)
	}
	statsOnSignal()
	demo.Main("echo", loops, serve)
}

// serveStreams is the same server written with streams, asyncio's
// high-level API: a task per connection that reads what has arrived and
// writes it back, suspending while it waits (Python: asyncio.start_server).
//
// Every handler of this loop reads into one buffer. That is safe because
// the loop's tasks never run at the same time and switch only where they
// wait: ReadInto copies into buf in the handler's own step, and Write
// takes the bytes (sending them, or copying what the socket does not take)
// before the handler next waits, in Drain. A goroutine per connection
// would need a buffer each; and ReadInto, unlike Read, allocates nothing.
func serveStreams(ctx context.Context, addr string) error {
	buf := make([]byte, 64<<10)
	s, err := aio.Listen(ctx, "tcp", addr, func(ctx context.Context, s *aio.Stream) error {
		for {
			n, err := s.ReadInto(ctx, buf)
			if err != nil {
				return err // io.EOF: the client is done
			}
			if err := s.Write(ctx, buf[:n]); err != nil {
				return err
			}
			if err := s.Drain(ctx); err != nil { // back-pressure from a slow reader
				return err
			}
		}
	}, aio.WithServerOptions(demo.ServerOptions(ctx)...))
	if err != nil {
		return err
	}
	if err := demo.Ready(ctx, s); err != nil {
		return err
	}
	_, err = duet.Await(ctx, duet.NewFuture[struct{}]()) // until a signal cancels main
	s.Close()
	s.CloseClients()
	if errors.Is(err, duet.ErrCancelled) {
		return nil
	}
	return err
}

// echo writes back what it receives. Write copies what the socket does not
// take at once, so the lent buffer of DataReceived may go to it as is; when
// the peer does not read and the write buffer fills, reading pauses until
// it drains (back-pressure through TCP's own flow control).
type echo struct{ t aio.Transport }

func (e *echo) ConnectionMade(t aio.Transport) { e.t = t }
func (e *echo) DataReceived(p []byte)          { e.t.Write(p) }
func (e *echo) EOFReceived() bool              { return false }
func (e *echo) ConnectionLost(error)           {}
func (e *echo) PauseWriting()                  { e.t.PauseReading() }
func (e *echo) ResumeWriting()                 { e.t.ResumeReading() }

// printStats prints the runtime's memory in use after a collection, the
// line the benchmark harness (bench/cmd/duetbench) reads after a SIGUSR1:
// without the GC, the figure would hold the garbage of the accepts too,
// where the Go peers' (bench/cmd/echopeer) is measured after one.
func printStats() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := json.Marshal(struct {
		HeapInuse  uint64 `json:"heap_inuse"`
		StackInuse uint64 `json:"stack_inuse"`
		Goroutines int    `json:"goroutines"`
	}{ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine()})
	fmt.Printf("stats %s\n", b)
}
