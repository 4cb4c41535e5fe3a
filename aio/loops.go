package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// WithReusePort makes the server's sockets SO_REUSEPORT (Python:
// create_server's reuse_port=True): several sockets, of this process or
// others, may then listen on the same address, and the kernel spreads new
// connections across them. It is how RunLoops serves one address from a
// loop per core: each loop calls CreateServer (or Listen, through
// WithServerOptions) with it. Inside RunLoops, port 0 is picked once for
// the group: the first loop to listen on an address picks the port, and
// the others listen on the same one.
//
// Where the kernel does not spread connections across SO_REUSEPORT
// sockets (Linux, FreeBSD and DragonFly do; macOS accepts the option but
// gives one socket every connection; Windows has none), a RunLoops group
// shares one listener instead: the first loop to listen accepts, and hands
// every connection in turn to the loops that listen on the same address
// (itself included), round-robin, each serving it on its own poller with
// its own Server. Outside RunLoops there, CreateServer sets the option as
// asked, with the system's meaning.
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
	n      int
	mu     sync.Mutex
	ports  map[string]*duet.Future[[]uint16]
	shares map[string]*acceptShare // without a balancing SO_REUSEPORT: one acceptor per address
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

// forceSharedAccept makes RunLoops' servers share one acceptor even where
// SO_REUSEPORT balances, for the tests of that fallback.
var forceSharedAccept bool

// reusePortBalances reports whether the kernel spreads connections across
// the sockets bound with SO_REUSEPORT to one address.
func reusePortBalances() bool {
	if forceSharedAccept {
		return false
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "dragonfly":
		return true
	}
	return false
}

// acceptShare is the loops of a RunLoops group that serve one address
// through one acceptor: the first's listener accepts, next picks who
// serves each connection.
type acceptShare struct {
	ready   *duet.Future[*Server] // the acceptor's server, once it listens
	mu      sync.Mutex
	servers []*Server // serving ones, in the order they joined
	k       int
}

func (a *acceptShare) add(s *Server) {
	a.mu.Lock()
	a.servers = append(a.servers, s)
	a.mu.Unlock()
}

func (a *acceptShare) remove(s *Server) {
	a.mu.Lock()
	a.servers = slices.DeleteFunc(a.servers, func(x *Server) bool { return x == s })
	a.mu.Unlock()
}

// next returns the server of the next connection, round-robin.
func (a *acceptShare) next() *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.servers) == 0 {
		return nil
	}
	a.k = (a.k + 1) % len(a.servers)
	return a.servers[a.k]
}

// createSharedServer is CreateServer in a RunLoops group that shares one
// acceptor: the first caller for the address listens; the others make a
// Server that listens on nothing and is handed connections.
func (l *Loop) createSharedServer(ctx context.Context, m *loopMember, network, address string, ips []netip.Addr, port uint16, factory func() BaseProtocol, o serverOpts) (*Server, error) {
	key := network + " " + address
	m.g.mu.Lock()
	if m.g.shares == nil {
		m.g.shares = map[string]*acceptShare{}
	}
	sh := m.g.shares[key]
	first := sh == nil
	if first {
		sh = &acceptShare{ready: duet.NewFuture[*Server]()}
		m.g.shares[key] = sh
	}
	m.g.mu.Unlock()
	o.reusePort = false // one listener: the option is not needed
	if first {
		s, err := l.createServer(network, address, ips, port, nil, factory, o)
		if err != nil {
			sh.ready.SetError(err)
			return nil, err
		}
		s.share = sh
		sh.add(s)
		sh.ready.SetResult(s)
		return s, nil
	}
	acceptor, err := duet.Await(ctx, sh.ready)
	if err != nil {
		return nil, fmt.Errorf("the first loop to listen on it failed: %w", err)
	}
	s, err := newServer(l, factory, o)
	if err != nil {
		return nil, err
	}
	s.addrs, s.serving, s.share = acceptor.Addrs(), true, sh
	sh.add(s)
	return s, nil
}

// handOff gives an accepted connection to another loop's server: the fd
// leaves this loop's poller (a duplicate of it goes to the other loop,
// which registers it on its own) and is served there.
func (s *Server) handOff(to *Server, c *poll.FD, local, peer inetAddr) {
	raw, err := dupFD(c.Fd())
	c.Close()
	if err != nil {
		s.l.CallExceptionHandler(ExceptionContext{Message: "aio: a shared acceptor could not hand a connection to another loop", Err: err})
		return
	}
	if _, err := to.l.CallSoonThreadsafe(func() { to.adopt(raw, local, peer) }); err != nil {
		closeFD(raw) // that loop is closed
	}
}

// adopt serves a connection handed over by the group's acceptor, on s's
// loop.
func (s *Server) adopt(raw int, local, peer inetAddr) {
	if !s.serving {
		closeFD(raw)
		return
	}
	p, err := s.l.poller()
	if err == nil {
		var fd *poll.FD
		if fd, err = p.Register(raw); err == nil {
			s.serve(fd, local, peer)
			return
		}
	}
	closeFD(raw)
	s.l.CallExceptionHandler(ExceptionContext{Message: "aio: a loop could not take a connection handed to it", Err: err})
}
