package aio

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// WithConnOptions passes options of CreateConnection (Happy Eyeballs'
// delay and interleaving) to Dial.
func WithConnOptions(opts ...ConnOption) StreamOption {
	return func(c *streamConfig) { c.conn = append(c.conn, opts...) }
}

// WithServerOptions passes options of CreateServer (WithIdleTimeout,
// WithBacklog, WithReusePort) to Listen and NetListen.
func WithServerOptions(opts ...ServerOption) StreamOption {
	return func(c *streamConfig) { c.srv = append(c.srv, opts...) }
}

// Dial connects to address over TCP and returns the connection as a Stream
// (Python: asyncio.open_connection, whose reader and writer are one Stream
// here). network and address are CreateConnection's: a host name is
// resolved off the loop and its addresses raced (Happy Eyeballs; see
// WithConnOptions). The stream's loop is ctx's.
//
// From a task of the loop, Dial suspends the task while it connects; from
// any other goroutine holding a context of the loop (its Context, or a
// task's), it blocks, the connect running as a task of the loop. Either
// way the end of ctx (a deadline, a cancellation) stops the connect and
// closes its socket. A ctx of no loop gives ErrNoLoop. WithStreamTLS makes
// it a TLS client: Dial returns once the handshake is done. WithServerOptions,
// which are Listen's, are refused with an error.
func Dial(ctx context.Context, network, address string, opts ...StreamOption) (*Stream, error) {
	if ctx == nil {
		return nil, nilCtx("Dial")
	}
	l := loopFrom(ctx)
	if l == nil {
		return nil, ErrNoLoop
	}
	var cfg streamConfig
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.srv) > 0 {
		return nil, errors.New("aio: Dial given WithServerOptions, which configure Listen's server: pass connect options through WithConnOptions")
	}
	if cfg.tls != nil {
		cfg.conn = append(cfg.conn, func(o *connOpts) { o.tls = cfg.tls })
	}
	host, _, _ := net.SplitHostPort(address)
	return runOnLoop(ctx, l, "aio.Dial "+address, func(ctx context.Context) (*Stream, error) {
		s, p := newStream(l, opts...)
		if host != "" {
			s.rareLocked().host = host // not shared yet: no lock needed
		}
		if _, _, err := l.CreateConnection(ctx, network, address, func() BaseProtocol { return p }, cfg.conn...); err != nil {
			return nil, err
		}
		return s, nil
	})
}

// Listen listens on address over TCP and serves every connection it
// accepts with handler, as a task of ctx's loop named "conn ADDR" after
// the peer, given the connection as a Stream (Python: asyncio.start_server
// with a coroutine client_connected_cb). network and address are
// CreateServer's. Call it from a task of the loop.
//
// When handler returns, its stream is closed (net/http's rule, which
// asyncio leaves to the callback). An error it returns, other than a
// cancellation or io.EOF (the peer went away), is reported through the
// loop's exception handler with the task's name, and so is a panic; the
// server and the other connections go on. The Server's Close stops
// listening; CloseClients and AbortClients end the connections, whose
// handlers then see the end of their streams. WithStreamTLS makes it a
// TLS server: a handler starts once its connection's handshake is done.
//
// Deadlines come two ways. WithServerOptions(WithIdleTimeout(d)) closes
// a connection that has received and sent nothing for d, the server's
// policy for every connection: the handler's reads then return the bytes
// received before, then ErrIdleTimeout (matching os.ErrDeadlineExceeded),
// which the handler may return without it being reported. A deadline on
// ctx bounds one call or a whole exchange, as the handler chooses
// (duet.WithTimeout(ctx, d, ...) or context.WithTimeout around a read):
// that, not an idle timeout, stops a peer that trickles a byte at a time
// (slowloris), and the connection stays open for the handler to decide.
// Options other than the stream's own (WithLimit) go through
// WithServerOptions; WithConnOptions, Dial's, is refused.
//
// Memory: an idle connection costs its handler task's coroutine (a
// goroutine, parked on the runtime's smallest stack, 2 KiB, when the
// handler waits in a read with no deeper frames of its own than
// examples/echo's), the Stream, its transport and socket (bench/run.sh
// -only idle has the figures). Receive buffers exist only while they hold
// unread bytes.
func Listen(ctx context.Context, network, address string, handler func(ctx context.Context, s *Stream) error, opts ...StreamOption) (*Server, error) {
	if ctx == nil {
		return nil, nilCtx("Listen")
	}
	l := loopFrom(ctx)
	if l == nil {
		return nil, ErrNoLoop
	}
	if handler == nil {
		return nil, errors.New("aio: Listen with a nil handler")
	}
	var cfg streamConfig
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.conn) > 0 {
		return nil, errors.New("aio: Listen given WithConnOptions, which configure Dial's connect: pass server options through WithServerOptions")
	}
	factory := func() BaseProtocol {
		s, _ := newStream(l, opts...)
		s.server, s.handler = true, handler
		return (*serverStream)(s)
	}
	sopts := cfg.srv
	if cfg.tls != nil {
		sopts = append(sopts, func(o *serverOpts) { o.tls = cfg.tls })
	}
	return l.CreateServer(ctx, network, address, factory, sopts...)
}

// serverStream is a served connection's protocol: the stream's, which on
// ConnectionMade also starts the connection's handler task. It is the
// Stream itself (its handler field set), so that serving a connection
// allocates no protocol of its own.
type serverStream Stream

var _ FlowController = (*serverStream)(nil)

func (p *serverStream) stream() *Stream { return (*Stream)(p) }

func (p *serverStream) ConnectionMade(t Transport) {
	s := p.stream()
	(*streamProto)(s).ConnectionMade(t)
	if s.started {
		return // StartTLS's TLS transport
	}
	s.started = true // the loop's: only ConnectionMade reads it
	Spawn(p.handlerCtx(), runHandler)
}

// handlerCtx is a served stream as its handler task's parent context: the
// loop's context, and the stream the task serves. The task then needs no
// closure to find its stream (runHandler) and keeps no name of its own:
// its Name is made from the stream when asked (taskNamer). Every idle
// connection holds that task.
type handlerCtx Stream

func (p *serverStream) handlerCtx() *handlerCtx { return (*handlerCtx)(p) }

func (h *handlerCtx) Deadline() (time.Time, bool) { return h.l.Context().Deadline() }
func (h *handlerCtx) Done() <-chan struct{}       { return h.l.Context().Done() }
func (h *handlerCtx) Err() error                  { return h.l.Context().Err() }
func (h *handlerCtx) Value(k any) any             { return h.l.Context().Value(k) }

// taskName names the handler task "conn" and the peer's address (see
// handlerName), from whichever transport the stream has now (StartTLS
// changes it, and the stream keeps the addresses meanwhile).
func (h *handlerCtx) taskName() string {
	s := (*Stream)(h)
	s.mu.Lock()
	tr := s.tr
	s.mu.Unlock()
	if tr != nil && fixedAddrs(tr) {
		return handlerName(tr)
	}
	return handlerPeerName(s.RemoteAddr())
}

func (p *serverStream) DataReceived(b []byte)    { (*streamProto)(p).DataReceived(b) }
func (p *serverStream) EOFReceived() bool        { return (*streamProto)(p).EOFReceived() }
func (p *serverStream) ConnectionLost(err error) { (*streamProto)(p).ConnectionLost(err) }
func (p *serverStream) PauseWriting()            { (*streamProto)(p).PauseWriting() }
func (p *serverStream) ResumeWriting()           { (*streamProto)(p).ResumeWriting() }

// handlerName is the name of the handler task of t's connection: "conn"
// and the peer's address as *net.TCPAddr prints it (an IPv4-mapped
// address as IPv4), formatted in a stack buffer from a TCP transport's
// own form of it without making the *net.TCPAddr.
func handlerName(t Transport) string {
	raw := t
	if tt, ok := t.(*tlsTransport); ok && tt.raw != nil {
		raw = tt.raw
	}
	if tt, ok := raw.(*tcpTransport); ok && tt.raddr.zone == 0 {
		if ap, ok := tt.raddr.addrPort(); ok {
			var buf [56]byte // the longest, "conn [" + an IPv6 address + "]:65535", fits
			return string(ap.AppendTo(append(buf[:0], "conn "...)))
		}
	}
	return handlerPeerName(t.RemoteAddr())
}

// handlerPeerName is handlerName from the peer's address a (nil when unknown).
func handlerPeerName(a net.Addr) string {
	if a != nil {
		return "conn " + a.String()
	}
	return "conn (peer unknown)"
}

// runHandler is a handler's task: its parent context is the stream's
// handlerCtx. Its frame lies under the handler's for as long as the
// handler waits, so it holds nothing but a deferred call: an idle
// connection's task must fit in a 2 KiB stack (see park.Task).
func runHandler(ctx context.Context) (struct{}, error) {
	p := (*serverStream)(ctx.(*taskCtx).parentCtx.(*handlerCtx))
	defer p.end()
	p.finish(p.handler(ctx, p.stream()))
	return struct{}{}, nil
}

// finish closes the stream once the handler has returned err, and reports
// err unless it is a cancellation, io.EOF (the peer went away) or the
// server's idle timeout.
func (p *serverStream) finish(err error) {
	s := p.stream()
	s.Close()
	if err != nil && !errors.Is(err, duet.ErrCancelled) && !errors.Is(err, io.EOF) && !errors.Is(err, ErrIdleTimeout) {
		s.l.CallExceptionHandler(ExceptionContext{Message: "Exception in a stream handler", Err: err, Task: handlerPeerName(s.RemoteAddr())})
	}
}

// end handles a handler that did not return: a panic is reported as its
// error; a task destroyed with its loop, or one whose goroutine exits
// (runtime.Goexit), closes its stream and unwinds on. After a return it
// only closes the stream again, which does nothing.
func (p *serverStream) end() {
	r := recover()
	if r == nil {
		p.stream().Close()
		return
	}
	if _, unwind := r.(park.Unwind); unwind {
		p.stream().Close()
		panic(r)
	}
	p.finish(duet.NewPanicError(r))
}

// NetListen listens like Listen and gives the connections to goroutine-side
// Go code through a net.Listener: Accept blocks its goroutine until a
// connection comes and returns the connection's Stream as a net.Conn
// (Stream.NetConn), so standard Go servers (net/http, crypto/tls, any
// protocol library) run over duet's sockets, with a goroutine per
// connection, while the loop does the I/O. Close stops listening and
// closes the connections not yet accepted; accepted ones are the caller's
// to close. Call NetListen from a task of the loop; the listener's methods
// may be called from any goroutine.
func NetListen(ctx context.Context, network, address string, opts ...StreamOption) (net.Listener, error) {
	q := duet.NewQueue[*Stream](0)
	srv, err := Listen(ctx, network, address, func(ctx context.Context, s *Stream) error {
		if err := q.Put(ctx, s); err != nil {
			return nil // the listener is closed: the stream closes with this handler
		}
		// The goroutine that accepts it owns it now: hold it open (Listen
		// closes a stream when its handler returns) until it ends.
		s.WaitClosed(ctx)
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &netListener{srv: srv, q: q, l: loopFrom(ctx), addr: srv.Addrs()[0]}, nil
}

type netListener struct {
	srv  *Server
	q    *duet.Queue[*Stream]
	l    *Loop
	addr net.Addr
	once sync.Once
}

func (nl *netListener) Accept() (net.Conn, error) {
	s, err := nl.q.Get(context.Background())
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: nl.addr.Network(), Addr: nl.addr, Err: net.ErrClosed}
	}
	return s.NetConn(), nil
}

func (nl *netListener) Close() error {
	nl.once.Do(func() {
		nl.q.Shutdown(false)
		for { // the connections nobody accepted
			s, err := nl.q.TryGet()
			if err != nil {
				break
			}
			s.Close()
		}
		nl.l.CallSoon(func() { nl.srv.Close() }) // fails only on a closed loop, whose server is closed
	})
	return nil
}

func (nl *netListener) Addr() net.Addr { return nl.addr }
