package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// DefaultBacklog is a listening socket's default backlog, asyncio's (100).
const DefaultBacklog = 100

// acceptRetryDelay is how long a server waits after a failed accept (out
// of fds: EMFILE, ENFILE) before accepting again, asyncio's
// constants.ACCEPT_RETRY_DELAY: retrying at once would spin the loop.
const acceptRetryDelay = time.Second

// ServerOption configures CreateServer.
type ServerOption func(*serverOpts)

type serverOpts struct {
	backlog     int
	tls         *tlsSetup // WithServerTLS
	idleTimeout time.Duration
	reusePort   bool // WithReusePort
}

// WithBacklog sets the listening sockets' backlog (Python: create_server's
// backlog). The default is DefaultBacklog.
func WithBacklog(n int) ServerOption { return func(o *serverOpts) { o.backlog = n } }

// serverConn is a connection a Server keeps track of: a transport it
// accepted (streams built on them count through their transport).
type serverConn interface {
	Close() error
	Abort()
	// serverSlot is where the connection keeps its index in the
	// server's clients.
	serverSlot() *int
}

// Server is a listening server (Python: asyncio.Server): its sockets, the
// connections it accepted and its shutdown. CreateServer makes one; it
// serves from then on.
//
// Its methods are for the loop's goroutine (tasks and callbacks of the
// loop that made it), like a transport's, except Addrs and Serving, which
// read state fixed or only cleared there.
type Server struct {
	l         *Loop
	lns       []*poll.FD
	addrs     []net.Addr
	cleanup   func() // removes a Unix socket file on Close (unix.go)
	factory   func() BaseProtocol
	tls       *tlsSetup // WithServerTLS's, its config checked and cloned
	serving   bool
	clients   []serverConn // each at the index its serverSlot holds: a slice costs a server's connections less than a set
	waiters   duet.Event   // set once closed with every connection gone
	closeOnce bool
	share     *acceptShare // RunLoops without a balancing SO_REUSEPORT: the loops this one's accepts are shared with

	idleTimeout time.Duration // WithIdleTimeout's; 0 for none
	sweepArmed  bool          // a sweep of idle connections is scheduled
}

// CreateServer listens on address over TCP and serves it: each connection
// accepted gets a protocol from factory, its ConnectionMade called with
// the connection's transport (Python: loop.create_server, with
// start_serving=True). network is "tcp", "tcp4" or "tcp6"; address is
// "host:port", as for net.Listen: port 0 picks a free port (Addrs says
// which), an empty host listens on every address ("tcp": the dual-stack
// "::" where the system has IPv6, else 0.0.0.0), and a host name is
// resolved through the loop's default executor and listened on at each of
// its addresses, as asyncio does.
//
// Each connection's transport reads on the loop's poller, with no goroutine
// of its own: a Protocol's DataReceived gets the transport's one read
// buffer (64 KiB), lent for the call and read into again after it; a
// BufferedProtocol is read into the memory its GetBuffer returns (size
// hint 64 KiB), then told with BufferUpdated. TCP_NODELAY is on, as in
// asyncio. A panic in a protocol's callback is reported through the
// loop's exception handler and aborts that connection only.
//
// WithServerTLS puts TLS over every connection: the protocol's
// ConnectionMade then comes once the handshake is done.
//
// The sockets are made with SO_REUSEADDR, as asyncio's on Unix. A port in
// use is an error naming the address and matching syscall.EADDRINUSE.
//
// Options: WithBacklog, and WithIdleTimeout to close connections that
// move no byte for a while (asyncio has no counterpart).
//
// Call it from a task of l, with the task's ctx (for the name lookup). The
// server holds a virtual clock as a pending I/O wait does, for as long as
// it listens.
//
// Network "unix" listens on a Unix-domain stream socket at the path
// address instead (Python: loop.create_unix_server), with the same
// transports and options: a socket file already at the path is removed
// first and any other file refused, as asyncio does, and Close removes
// the socket file if it is still the one bound (Python 3.13's
// cleanup_socket). A path longer than the system takes is an error saying
// so.
func (l *Loop) CreateServer(ctx context.Context, network, address string, factory func() BaseProtocol, opts ...ServerOption) (*Server, error) {
	if ctx == nil {
		return nil, nilCtx("CreateServer")
	}
	o := serverOpts{backlog: DefaultBacklog}
	for _, opt := range opts {
		opt(&o)
	}
	fail := func(err error) (*Server, error) {
		return nil, fmt.Errorf("aio: CreateServer %s %s: %w", network, address, err)
	}
	if err := l.checkIOCall(factory); err != nil {
		return fail(err)
	}
	var ips []netip.Addr
	var port uint16
	var err error
	if network != "unix" { // a path, for listenUnix below
		if ips, port, err = resolveTCP(ctx, network, address, true); err != nil {
			return fail(err)
		}
	}
	if m, _ := ctx.Value(groupKey{}).(*loopMember); m != nil && o.reusePort && network != "unix" && !reusePortBalances() {
		s, err := l.createSharedServer(ctx, m, network, address, ips, port, factory, o)
		if err != nil {
			return fail(err)
		}
		return s, nil
	}
	var shared []uint16
	if o.reusePort && port == 0 && network != "unix" {
		// RunLoops' loops pick one port per address for the group.
		var publish func([]net.Addr, error)
		if shared, publish, err = sharedPorts(ctx, network+" "+address); err != nil {
			return fail(err)
		}
		if publish != nil {
			s, err := l.createServer(network, address, ips, 0, nil, factory, o)
			if err != nil {
				publish(nil, err)
				return fail(err)
			}
			publish(s.addrs, nil)
			return s, nil
		}
	}
	s, err := l.createServer(network, address, ips, port, shared, factory, o)
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// createServer is CreateServer once the address is resolved: it listens
// on port (or, for the i-th address, on shared[i] when shared is set) and
// starts accepting.
func (l *Loop) createServer(network, address string, ips []netip.Addr, port uint16, shared []uint16, factory func() BaseProtocol, o serverOpts) (*Server, error) {
	fail := func(err error) (*Server, error) { return nil, err }
	portFor := func(i int) uint16 {
		if i < len(shared) {
			return shared[i]
		}
		return port
	}
	port = portFor(0)
	p, err := l.poller()
	if err != nil {
		return fail(err)
	}
	s, err := newServer(l, factory, o)
	if err != nil {
		return fail(err)
	}
	closeAll := func() {
		for _, fd := range s.lns {
			fd.Close()
		}
	}
	if network == "unix" {
		fd, cleanup, err := listenUnix(p, address, o.backlog)
		if err != nil {
			return fail(err)
		}
		s.lns, s.cleanup = append(s.lns, fd), cleanup
	} else if ips == nil {
		// Every address: one dual-stack socket for "tcp" where IPv6
		// exists, else the family's unspecified address.
		var fd *poll.FD
		switch network {
		case "tcp4":
			fd, err = listenOn(p, netip.IPv4Unspecified(), port, true, &o)
		case "tcp6":
			fd, err = listenOn(p, netip.IPv6Unspecified(), port, true, &o)
		default:
			fd, err = listenOn(p, netip.IPv6Unspecified(), port, false, &o)
			if err != nil && !isAddrInUse(err) {
				fd, err = listenOn(p, netip.IPv4Unspecified(), port, true, &o)
			}
		}
		if err != nil {
			return fail(err)
		}
		s.lns = append(s.lns, fd)
	} else {
		for i, ip := range ips {
			fd, err := listenOn(p, ip, portFor(i), true, &o)
			if err != nil {
				closeAll()
				return fail(err)
			}
			s.lns = append(s.lns, fd)
		}
	}
	for _, fd := range s.lns {
		s.addrs = append(s.addrs, localAddr(fd.Fd()))
	}
	s.serving = true
	for _, fd := range s.lns {
		// Each listening socket is a pending I/O wait while it accepts.
		l.ioWaitBegin()
		s.accept(s.newListener(fd))
	}
	return s, nil
}

// listener is one of a server's listening sockets as its accepts see it.
type listener struct {
	fd *poll.FD
	// local is the address its connections have at this end when the
	// socket listens on one IP address (the zero inetAddr when it listens
	// on every address, or is not IP: each connection's is asked for then).
	local inetAddr
	done  func(c *poll.FD, sa poll.Sockaddr, err error) // made once: each accept passes it
}

func (s *Server) newListener(fd *poll.FD) *listener {
	ln := &listener{fd: fd}
	if a := fdInetAddr(fd.Fd(), false); a.fam != 0 && a.ip != ([16]byte{}) {
		ln.local = a
	}
	ln.done = func(c *poll.FD, sa poll.Sockaddr, err error) { s.accepted(ln, c, sa, err) }
	return ln
}

// listenOn makes one listening socket.
func listenOn(p *poll.Poller, ip netip.Addr, port uint16, v6only bool, o *serverOpts) (*poll.FD, error) {
	fd, err := tcpSocket(p, ip)
	if err != nil {
		return nil, err
	}
	if o.reusePort {
		if err := setReusePort(fd.Fd()); err != nil {
			fd.Close()
			return nil, err
		}
	}
	if err := listenTCP(fd.Fd(), toSockaddr(ip, port), v6only, o.backlog); err != nil {
		fd.Close()
		if isAddrInUse(err) {
			return nil, fmt.Errorf("listen %s: %w (another socket listens on that port: stop it, choose another port, or port 0 for a free one)", netip.AddrPortFrom(ip, port), err)
		}
		return nil, fmt.Errorf("listen %s: %w", netip.AddrPortFrom(ip, port), err)
	}
	return fd, nil
}

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// accept arms one accept on ln; each completion arms the next.
func (s *Server) accept(ln *listener) {
	if err := ln.fd.Accept(ln.done); err != nil && s.serving {
		s.l.CallExceptionHandler(ExceptionContext{Message: "aio: a server stopped accepting", Err: err})
	}
}

// accepted serves c, which accept gave with its peer's address sa.
func (s *Server) accepted(ln *listener, c *poll.FD, sa poll.Sockaddr, err error) {
	if !s.serving {
		if c != nil {
			c.Close()
		}
		return
	}
	if errors.Is(err, net.ErrClosed) {
		// The listening socket was closed under the server: its loop is
		// closing (Close ends serving first, and returned above).
		return
	}
	if err != nil {
		// Out of fds, most likely: report and accept again later, as
		// asyncio's _accept_connection does (the pending connections wait
		// in the backlog meanwhile).
		s.l.CallExceptionHandler(ExceptionContext{Message: "aio: a server's accept failed; retrying in 1s", Err: err})
		s.l.CallLater(acceptRetryDelay, func() {
			if s.serving {
				s.accept(ln)
			}
		})
		return
	}
	s.accept(ln)
	local, peer := ln.local, sockaddrInet(sa)
	if s.share != nil {
		if to := s.share.next(); to != s {
			s.handOff(to, c, local, peer)
			return
		}
	}
	s.serve(c, local, peer)
}

// newServer makes a Server that listens on nothing yet.
func newServer(l *Loop, factory func() BaseProtocol, o serverOpts) (*Server, error) {
	s := &Server{l: l, factory: factory, idleTimeout: o.idleTimeout}
	if o.tls != nil {
		cfg, err := serverConfig(o.tls.cfg)
		if err != nil {
			return nil, err
		}
		s.tls = &tlsSetup{cfg: cfg, opts: o.tls.opts}
	}
	return s, nil
}

// serve makes an accepted connection's protocol and transport; local and
// peer are its addresses when accept gave them (else the transport asks
// the socket).
func (s *Server) serve(c *poll.FD, local, peer inetAddr) {
	setNoDelay(c.Fd(), true)
	var proto BaseProtocol
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.l.CallExceptionHandler(ExceptionContext{Message: "aio: panic in a server's protocol factory", Err: duet.NewPanicError(r)})
				proto = nil
			}
		}()
		proto = s.factory()
	}()
	if proto == nil {
		c.Close()
		return
	}
	if s.tls != nil {
		tt := newTLSTransport(s.l, proto, s.tls.cfg, true, s.tls.opts, s)
		newTCPTransport(s.l, c, (*tlsLower)(tt), nil, local, peer).start()
		return
	}
	newTCPTransport(s.l, c, proto, s, local, peer).start()
}

// attach and detach keep the set of the server's live connections.
func (s *Server) attach(c serverConn) {
	*c.serverSlot() = len(s.clients)
	s.clients = append(s.clients, c)
	s.armIdleSweep()
}

func (s *Server) detach(c serverConn) {
	s.remove(c)
	s.wakeup()
}

// remove takes c out of the server's connections, if it is one of them:
// the last one takes its place.
func (s *Server) remove(c serverConn) {
	i, last := *c.serverSlot(), len(s.clients)-1
	if i >= 0 && i <= last && s.clients[i] == c {
		s.clients[i] = s.clients[last]
		*s.clients[i].serverSlot() = i
		s.clients[last] = nil
		s.clients = s.clients[:last]
		*c.serverSlot() = -1
	}
}

// wakeup releases WaitClosed's waiters once the server is closed and has
// no connection left (Python: Server._wakeup).
func (s *Server) wakeup() {
	if !s.serving && s.closeOnce && len(s.clients) == 0 {
		s.waiters.Set()
	}
}

// Addrs returns the addresses the server listens on, one per listening
// socket, ports chosen by the system included (Python: [s.getsockname()
// for s in server.sockets]). They stay readable after Close.
func (s *Server) Addrs() []net.Addr { return append([]net.Addr(nil), s.addrs...) }

// Serving reports whether the server listens (Python: is_serving): true
// from CreateServer until Close.
func (s *Server) Serving() bool { return s.serving }

// Close stops listening: the listening sockets are closed at once, and the
// connections already accepted stay open, to be closed by their protocols,
// CloseClients or AbortClients (Python 3.12: Server.close). Closing again
// does nothing.
func (s *Server) Close() error {
	if s.closeOnce {
		return nil
	}
	s.closeOnce, s.serving = true, false
	if s.share != nil {
		s.share.remove(s)
	}
	for _, fd := range s.lns {
		fd.Close() // the pending accept completes with net.ErrClosed, ignored
		s.l.ioWaitEnd()
	}
	if s.cleanup != nil {
		s.cleanup()
	}
	s.wakeup()
	return nil
}

// CloseClients closes every connection the server accepted, each once its
// buffered writes are sent, as Transport.Close does (Python 3.13:
// Server.close_clients). It does not stop listening.
func (s *Server) CloseClients() {
	for _, c := range s.snapshot() {
		c.Close()
	}
}

// AbortClients aborts every connection the server accepted, dropping what
// they have buffered, as Transport.Abort does (Python 3.13:
// Server.abort_clients). It does not stop listening.
func (s *Server) AbortClients() {
	for _, c := range s.snapshot() {
		c.Abort()
	}
}

func (s *Server) snapshot() []serverConn {
	return append([]serverConn(nil), s.clients...)
}

// WaitClosed waits until the server is closed and every connection it
// accepted is gone, in either order (Python 3.12.1 and later:
// Server.wait_closed, fixed by cpython#104344 and its follow-ups): called
// on a serving server it waits for Close and then for the last
// connection's ConnectionLost; called after Close it waits for the
// connections still open, and returns at once when there are none. (Up
// to Python 3.11 wait_closed returned at once after close, connections or
// not; 3.12.0 returned at once on an open server with no connections.) A
// connection is gone once its protocol's ConnectionLost has returned.
//
// It blocks the calling task, not the loop; it returns ctx's error (the
// task's cancellation) if that comes first. Call it from a task of the
// server's loop.
func (s *Server) WaitClosed(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Server.WaitClosed")
	}
	return s.waiters.Wait(ctx)
}
