package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"

	"github.com/duet-go/duet"
)

// WithReusePort makes the server's sockets SO_REUSEPORT (Python:
// create_server's reuse_port=True): several sockets, of this process or
// others, may then listen on the same address, and the kernel spreads new
// connections across them. It is how RunLoops serves one address from a
// loop per core: each loop calls CreateServer (or Listen, through
// WithServerOptions) with it. Inside RunLoops, port 0 is picked once for
// the group: the first loop to listen on an address picks the port, and
// the others listen on the same one. Linux and the BSDs have it (macOS
// accepts the option but sends every connection to one socket); elsewhere
// CreateServer fails with an error that says so.
func WithReusePort() ServerOption { return func(o *serverOpts) { o.reusePort = true } }

// RunLoops runs main as the main task of n event loops at once, each loop
// on a goroutine of its own, and returns when every main has returned: one
// loop per core in one process, which Python cannot do (its answer is a
// process per core). n <= 0 means runtime.GOMAXPROCS(0). Each loop is
// Run's, with opts: tasks of one loop never run at the same time, those of
// different loops do, in parallel; duet's primitives (Future, Queue, Lock,
// Event...) are safe across loops as they are between a loop and a
// goroutine, so the loops share state through them. LoopIndex tells a
// main which loop it runs on.
//
// Shutdown of every loop is one call: cancel ctx (or send SIGINT, which
// every loop's Run hears). The first main to fail cancels the others;
// RunLoops then returns that error. When every main ends by cancellation,
// it returns the first loop's error.
//
// To serve one address from every loop, each main listens on it with
// WithReusePort; see there.
func RunLoops(ctx context.Context, n int, main func(ctx context.Context) error, opts ...Option) error {
	if ctx == nil {
		return nilCtx("RunLoops")
	}
	if main == nil {
		return errors.New("aio: RunLoops with a nil main function")
	}
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g := &loopGroup{n: n, ports: map[string]*duet.Future[[]uint16]{}}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, n)
	failed := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = Run(context.WithValue(ctx, groupKey{}, &loopMember{g: g, i: i}), main, opts...)
			if errs[i] != nil && !errors.Is(errs[i], duet.ErrCancelled) {
				failed <- i
				cancel(fmt.Errorf("aio: RunLoops: loop %d failed: %w", i, errs[i]))
			}
		})
	}
	wg.Wait()
	select {
	case i := <-failed:
		return errs[i]
	default:
		return errs[0]
	}
}

// LoopIndex reports which of RunLoops' loops ctx's task runs on (0 to
// n-1) and how many there are; ok is false outside RunLoops.
func LoopIndex(ctx context.Context) (i, n int, ok bool) {
	if m, _ := ctx.Value(groupKey{}).(*loopMember); m != nil {
		return m.i, m.g.n, true
	}
	return 0, 1, false
}

type groupKey struct{}

// loopGroup is what RunLoops' loops share: the ports picked for their
// SO_REUSEPORT servers, one per address asked for with port 0.
type loopGroup struct {
	n     int
	mu    sync.Mutex
	ports map[string]*duet.Future[[]uint16]
}

type loopMember struct {
	g *loopGroup
	i int
}

// sharedPorts coordinates port 0 across the group for CreateServer: the
// first loop to listen on key gets publish (it listens on port 0, then
// publishes the ports it got, one per address); the others get the ports
// to listen on, waiting for the first until it has them.
func sharedPorts(ctx context.Context, key string) (ports []uint16, publish func([]net.Addr, error), err error) {
	m, _ := ctx.Value(groupKey{}).(*loopMember)
	if m == nil {
		return nil, nil, nil
	}
	m.g.mu.Lock()
	f, ok := m.g.ports[key]
	if !ok {
		f = duet.NewFuture[[]uint16]()
		m.g.ports[key] = f
	}
	m.g.mu.Unlock()
	if !ok {
		return nil, func(addrs []net.Addr, err error) {
			if err != nil {
				f.SetError(fmt.Errorf("the first loop to listen on it failed: %w", err))
				return
			}
			ps := make([]uint16, len(addrs))
			for i, a := range addrs {
				ps[i] = uint16(a.(*net.TCPAddr).Port)
			}
			f.SetResult(ps)
		}, nil
	}
	ports, err = duet.Await(ctx, f)
	return ports, nil, err
}
