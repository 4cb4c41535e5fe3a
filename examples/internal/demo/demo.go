// Package demo is what the example servers share: a clean exit on SIGINT
// and SIGTERM, the one "listening on ADDR" line that their tests and the
// benchmarks wait for, and the "-loops N" flag that serves one address
// from N loops (aio.RunLoops with SO_REUSEPORT). Each example keeps its
// own protocol, which is what it is there to show.
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

// Flags declares -addr (default def) and -loops, and parses the command
// line; a -loops below 1 exits with status 2.
func Flags(name, def string) (addr string, loops int) {
	a := flag.String("addr", def, "address to listen on (host:port; port 0 picks one)")
	n := flag.Int("loops", 1, "event loops serving the address, one per core at most (SO_REUSEPORT)")
	flag.Parse()
	if *n < 1 {
		fmt.Fprintf(os.Stderr, "%s: -loops %d: need at least 1\n", name, *n)
		os.Exit(2)
	}
	return *a, *n
}

// Main runs serve as the main task of loops loops (aio.Run for one,
// aio.RunLoops for more) until it returns or a signal cancels it (a clean
// exit, status 0); an error exits with status 1.
func Main(name string, loops int, serve func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if loops == 1 {
		err = aio.Run(ctx, serve)
	} else {
		ready, _ = duet.NewBarrier(loops)
		err = aio.RunLoops(ctx, loops, serve)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		stop()
		os.Exit(1)
	}
}

// ready is crossed by every loop once it listens, under -loops N > 1, so
// that the listening line comes when all of them accept connections.
var ready *duet.Barrier

// Listen serves factory's protocols on addr from the task of ctx, prints
// "listening on ADDR" once it accepts connections (on every loop), and
// returns nil when the task is cancelled (a signal, through Main), after
// it has stopped listening and closed the connections.
func Listen(ctx context.Context, addr string, factory func() aio.BaseProtocol) error {
	s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", addr, factory, ServerOptions(ctx)...)
	if err != nil {
		return err
	}
	if err := Ready(ctx, s); err != nil {
		return err
	}
	_, err = duet.Await(ctx, duet.NewFuture[struct{}]()) // nobody completes it: until cancelled
	s.Close()
	s.CloseClients()
	if errors.Is(err, duet.ErrCancelled) {
		return nil
	}
	return err
}

// ServerOptions are the options a server of ctx's loop needs: SO_REUSEPORT
// when it is one of several loops.
func ServerOptions(ctx context.Context) []aio.ServerOption {
	if _, n, ok := aio.LoopIndex(ctx); ok && n > 1 {
		return []aio.ServerOption{aio.WithReusePort()}
	}
	return nil
}

// Ready prints the line that tells a test or a benchmark the server
// accepts connections, with the address it listens on: under several
// loops, once all of them listen, from the first.
func Ready(ctx context.Context, s *aio.Server) error {
	i, _, group := aio.LoopIndex(ctx)
	if group {
		if _, err := ready.Wait(ctx); err != nil {
			return err
		}
	}
	if i == 0 {
		fmt.Printf("listening on %s\n", s.Addrs()[0])
		os.Stdout.Sync()
	}
	return nil
}
