// Package demo is what the example servers share: a clean exit on SIGINT
// and SIGTERM, the one "listening on ADDR" line that their tests and the
// benchmarks wait for, and the "-loops N" flag that one loop per core
// (issue 9) will honour. Each example keeps its own protocol, which is
// what it is there to show.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Flags declares -addr (default def) and -loops, parses the command line,
// and exits with status 2 for a -loops this example cannot honour yet.
func Flags(name, def string) (addr string) {
	a := flag.String("addr", def, "address to listen on (host:port; port 0 picks one)")
	loops := flag.Int("loops", 1, "event loops (one per core comes with issue 9)")
	flag.Parse()
	if *loops != 1 {
		fmt.Fprintf(os.Stderr, "%s: -loops %d: not yet (one loop per core comes with issue 9)\n", name, *loops)
		os.Exit(2)
	}
	return *a
}

// Main runs serve as the main task of a loop until it returns or a signal
// cancels it (a clean exit, status 0); an error exits with status 1.
func Main(name string, serve func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := aio.Run(ctx, serve); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		stop()
		os.Exit(1)
	}
}

// Listen serves factory's protocols on addr from the task of ctx, prints
// "listening on ADDR" once it accepts connections, and returns nil when
// the task is cancelled (a signal, through Main), after it has stopped
// listening and closed the connections.
func Listen(ctx context.Context, addr string, factory func() aio.BaseProtocol) error {
	s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", addr, factory)
	if err != nil {
		return err
	}
	Ready(s)
	_, err = duet.Await(ctx, duet.NewFuture[struct{}]()) // nobody completes it: until cancelled
	s.Close()
	s.CloseClients()
	if errors.Is(err, duet.ErrCancelled) {
		return nil
	}
	return err
}

// Ready prints the line that tells a test or a benchmark the server
// accepts connections, with the address it listens on.
func Ready(s *aio.Server) {
	fmt.Printf("listening on %s\n", s.Addrs()[0])
	os.Stdout.Sync()
}
