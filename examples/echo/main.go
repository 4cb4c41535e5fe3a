// Command echo is a TCP echo server on duet's event loop, written with the
// low-level API: a Protocol per connection and no goroutine per
// connection (Python: the EchoServerProtocol of asyncio's documentation,
// served by loop.create_server). bench/cmd/duetbench measures it against
// Go's net package, gnet, asyncio and uvloop.
//
//	go run ./examples/echo -addr 127.0.0.1:7007 -api protocol -loops 1
//
// It prints one line, "listening on ADDR", with the address it listens on
// (so -addr 127.0.0.1:0 works), once it accepts connections; it exits with
// status 0 on SIGINT or SIGTERM, and answers SIGUSR1 with a line
// `stats {"heap_inuse":N,"stack_inuse":N}` (runtime.MemStats' HeapInuse
// and StackInuse, in bytes) for the benchmark's memory table.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7007", "address to listen on (host:port; port 0 picks one)")
	api := flag.String("api", "protocol", "API to serve with: protocol (transports and protocols) or stream")
	loops := flag.Int("loops", 1, "event loops (one per core comes with issue 9)")
	flag.Parse()
	switch {
	case *api == "stream":
		fmt.Fprintln(os.Stderr, "-api stream: not yet (streams come with issue 8's next step)")
		os.Exit(2)
	case *api != "protocol":
		fmt.Fprintf(os.Stderr, "-api %s: unknown (want protocol or stream)\n", *api)
		os.Exit(2)
	case *loops != 1:
		fmt.Fprintln(os.Stderr, "-loops", *loops, "not yet (one loop per core comes with issue 9)")
		os.Exit(2)
	}

	// SIGINT and SIGTERM cancel ctx, which cancels the loop's main task
	// (aio.Run); the signal is received on a goroutine of os/signal's, so
	// the loop never blocks on it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	go func() {
		for range usr1 {
			printStats()
		}
	}()

	if err := aio.Run(ctx, func(ctx context.Context) error { return serve(ctx, *addr) }); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

// serve listens on addr and echoes until ctx's task is cancelled (a
// signal), then stops listening and closes the connections.
func serve(ctx context.Context, addr string) error {
	s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", addr, func() aio.BaseProtocol { return &echo{} })
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", s.Addrs()[0])
	os.Stdout.Sync()
	// Wait for the cancellation: a future nobody completes.
	_, err = duet.Await(ctx, duet.NewFuture[struct{}]())
	s.Close()
	s.CloseClients()
	if errors.Is(err, duet.ErrCancelled) {
		return nil // a signal: a clean exit
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

// printStats prints the runtime's memory in use, the line the benchmark
// harness (bench/cmd/duetbench) reads after a SIGUSR1.
func printStats() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, _ := json.Marshal(struct {
		HeapInuse  uint64 `json:"heap_inuse"`
		StackInuse uint64 `json:"stack_inuse"`
	}{ms.HeapInuse, ms.StackInuse})
	fmt.Printf("stats %s\n", b)
}
