package aio

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/duet-go/duet"
)

// DefaultTLSHandshakeTimeout is how long a TLS handshake may take unless
// WithHandshakeTimeout says otherwise: 60 s, asyncio's
// ssl_handshake_timeout default.
const DefaultTLSHandshakeTimeout = 60 * time.Second

// DefaultTLSShutdownTimeout is how long a TLS transport's Close waits for
// its buffered bytes and close_notify to be sent before it aborts the
// connection, unless WithShutdownTimeout says otherwise: 30 s, asyncio's
// ssl_shutdown_timeout default.
const DefaultTLSShutdownTimeout = 30 * time.Second

// TLSOption tunes a TLS connection: pass them to WithTLS, WithServerTLS,
// WithStreamTLS, Loop.StartTLS or Stream.StartTLS.
type TLSOption func(*tlsOpts)

type tlsOpts struct {
	handshake time.Duration
	shutdown  time.Duration
	server    int // 0: the caller's default, 1: server side, -1: client side
}

func makeTLSOpts(opts []TLSOption) tlsOpts {
	o := tlsOpts{handshake: DefaultTLSHandshakeTimeout, shutdown: DefaultTLSShutdownTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithHandshakeTimeout bounds the TLS handshake (Python:
// ssl_handshake_timeout): a handshake not done by then fails with an error
// matching duet.ErrTimeout and the connection is aborted. d <= 0 or
// duet.NoTimeout waits as long as the connection lasts. The timer runs on
// the loop's clock. The default is DefaultTLSHandshakeTimeout.
func WithHandshakeTimeout(d time.Duration) TLSOption {
	return func(o *tlsOpts) { o.handshake = d }
}

// WithShutdownTimeout bounds a TLS transport's Close (Python:
// ssl_shutdown_timeout): Close sends what is buffered and close_notify,
// then closes the socket; when the peer does not take those bytes within
// d the connection is aborted, and ConnectionLost gets an error matching
// duet.ErrTimeout. Close never waits for the peer's close_notify. d <= 0
// or duet.NoTimeout waits as long as TCP does. The default is
// DefaultTLSShutdownTimeout.
func WithShutdownTimeout(d time.Duration) TLSOption {
	return func(o *tlsOpts) { o.shutdown = d }
}

// WithServerSide sets which side of the handshake Loop.StartTLS and
// Stream.StartTLS take (Python: start_tls's server_side). Loop.StartTLS is
// a client unless told; Stream.StartTLS is a server on a stream a Listen
// handler got and a client on one Dial made.
func WithServerSide(server bool) TLSOption {
	return func(o *tlsOpts) {
		o.server = -1
		if server {
			o.server = 1
		}
	}
}

// tlsSetup is TLS asked for by an option of CreateConnection, CreateServer,
// Dial or Listen.
type tlsSetup struct {
	cfg  *tls.Config
	opts tlsOpts
}

// WithTLS makes CreateConnection speak TLS over the connection, as a
// client, with crypto/tls and cfg (Python: create_connection's ssl=):
// CreateConnection returns once the handshake is done, and the protocol's
// ConnectionMade gets the TLS transport then; a failed handshake is
// CreateConnection's error, which names the address and wraps crypto/tls's
// (an unknown authority matches *tls.CertificateVerificationError, a
// timeout duet.ErrTimeout), and the protocol hears nothing. cfg may be
// nil (the system's roots); without ServerName or InsecureSkipVerify, the
// host of CreateConnection's address is the server name, as tls.Dial
// does. cfg is cloned, not kept.
//
// Over TLS a protocol's EOFReceived hears the end of the peer's stream:
// its close_notify, or a TCP end of stream at a record boundary, which
// crypto/tls does not tell apart (in the middle of a record it is an
// error matching io.ErrUnexpectedEOF, in ConnectionLost). Its keepOpen is
// honoured, since TLS 1.3 and crypto/tls allow writing after the peer's
// close_notify (asyncio warns and closes). Close and the server's
// CloseClients send close_notify; WriteEOF is refused.
func WithTLS(cfg *tls.Config, opts ...TLSOption) ConnOption {
	return func(o *connOpts) { o.tls = &tlsSetup{cfg: cfg, opts: makeTLSOpts(opts)} }
}

// WithServerTLS makes CreateServer speak TLS on every connection it
// accepts, as the server, with crypto/tls and cfg, which must hold a
// certificate (Certificates, GetCertificate or GetConfigForClient; Python:
// create_server's ssl=). A protocol's ConnectionMade gets the TLS
// transport once the handshake is done; a connection whose handshake
// fails is closed without its protocol hearing anything, and the failure
// is reported through the loop's exception handler only in debug mode
// (WithDebug), as asyncio logs it only then: a port scanner or a health
// check would flood the log. A connection counts as the server's from
// its accept (CloseClients, AbortClients, WaitClosed), handshake
// included.
func WithServerTLS(cfg *tls.Config, opts ...TLSOption) ServerOption {
	return func(o *serverOpts) { o.tls = &tlsSetup{cfg: cfg, opts: makeTLSOpts(opts)} }
}

// WithStreamTLS makes Dial a TLS client (WithTLS) and Listen and
// NetListen TLS servers (WithServerTLS), with cfg and opts. The streams
// work as over TCP except that they cannot half-close (WriteEOF makes the
// next Write or Drain fail), and the end of stream closes them.
func WithStreamTLS(cfg *tls.Config, opts ...TLSOption) StreamOption {
	return func(c *streamConfig) { c.tls = &tlsSetup{cfg: cfg, opts: makeTLSOpts(opts)} }
}

var errTLSNoEOF = errors.New("aio: a TLS transport cannot half-close (CanWriteEOF is false; TLS 1.2 has no half-close): call Close, which sends close_notify")

// clientConfig returns cfg (cloned) for a client connecting to host: the
// server name defaults to host, as tls.Dial's, and renegotiation is off.
func clientConfig(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	} else {
		cfg = cfg.Clone()
	}
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify && host != "" {
		cfg.ServerName = host
	}
	// A renegotiation would run crypto/tls's handshake inside a Read on
	// the loop, where the pipe's would-block error is sticky for it: a
	// server's request for one is refused (with an alert) instead.
	cfg.Renegotiation = tls.RenegotiateNever
	return cfg
}

// serverConfig checks cfg for a server and clones it.
func serverConfig(cfg *tls.Config) (*tls.Config, error) {
	if cfg == nil || len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("a TLS server needs a *tls.Config with a certificate (set Certificates, GetCertificate or GetConfigForClient)")
	}
	return cfg.Clone(), nil
}

// tlsTransport is TLS over a raw transport (Python: sslproto.SSLProtocol
// and its _SSLProtocolTransport): it is the raw transport's protocol (as
// *tlsLower) and its app protocol's Transport. After the handshake it has
// no goroutine: every DataReceived of the raw transport feeds crypto/tls,
// which is read until its pipe would block, and the plaintext goes to the
// app protocol; a Write encrypts into the raw transport's Write. The
// handshake runs on a goroutine of its own over the same pipe (see
// tlsPipe).
//
// Everything here runs on the loop's goroutine, except the handshake's
// goroutine, which touches only conn and the pipe.
type tlsTransport struct {
	l    *Loop
	raw  *tcpTransport
	conn *tls.Conn
	pipe *tlsPipe
	opts tlsOpts
	peer string // for errors

	app  BaseProtocol
	p    Protocol
	bp   BufferedProtocol
	fc   FlowController
	srv  *Server
	slot int // its index in srv.clients (see Server.attach)

	// onHandshake, when set, hears the handshake's result (nil: done),
	// once, on the loop, before the app protocol's ConnectionMade.
	onHandshake func(error)

	appMade  bool // the app protocol has had a ConnectionMade: it gets ConnectionLost
	hsOver   bool // the handshake succeeded or failed
	hsTimer  *Handle
	reading  bool // the app protocol wants data (not paused, not closing)
	eofIn    bool // crypto/tls gave the end of stream
	closing  bool // no more writes
	closeReq bool // Close was called
	lost     bool // the raw transport is closed or closing for good
	lostErr  error
	timer    *Handle // the shutdown timeout
	drainDue bool    // a drain is scheduled

	inCall    int  // crypto/tls calls in progress: flow control waits for them
	rawPaused bool // the raw transport said PauseWriting
	wpaused   bool // the app protocol was told PauseWriting
}

func (t *tlsTransport) serverSlot() *int { return &t.slot }

// newTLSTransport returns the TLS transport of app over a raw transport
// not given yet (tlsLower.ConnectionMade or attach gives it).
func newTLSTransport(l *Loop, app BaseProtocol, cfg *tls.Config, server bool, opts tlsOpts, srv *Server) *tlsTransport {
	t := &tlsTransport{l: l, app: app, opts: opts, srv: srv}
	switch pr := app.(type) {
	case BufferedProtocol:
		t.bp = pr
	case Protocol:
		t.p = pr
	}
	t.fc, _ = app.(FlowController)
	t.pipe = newTLSPipe(t)
	if server {
		t.conn = tls.Server(t.pipe, cfg)
	} else {
		t.conn = tls.Client(t.pipe, cfg)
	}
	if srv != nil {
		srv.attach(t)
	}
	return t
}

// attach puts t on raw and starts the handshake; pre are bytes received
// before (a stream's buffer, for StartTLS), the first TLS bytes.
func (t *tlsTransport) attach(raw *tcpTransport, pre []byte) {
	t.raw = raw
	t.peer = "peer"
	if a := raw.RemoteAddr(); a != nil {
		t.peer = a.String()
	}
	if t.p == nil && t.bp == nil {
		t.fail(fmt.Errorf("aio: the protocol %T implements neither Protocol nor BufferedProtocol", t.app), true)
		return
	}
	if len(pre) > 0 {
		t.pipe.feed(pre)
	}
	if d := t.opts.handshake; d > 0 && d != duet.NoTimeout {
		t.hsTimer, _ = t.l.CallLater(d, func() {
			t.fail(fmt.Errorf("aio: TLS handshake with %s: no handshake within %v (WithHandshakeTimeout): %w", t.peer, d, duet.ErrTimeout), true)
		})
	}
	conn, l := t.conn, t.l
	l.holdClock() // see tlsPipe.wakeLocked
	go func() {
		err := conn.Handshake()
		// A closed loop has closed the raw transport, which failed the
		// pipe and so this handshake: nobody is left to tell.
		l.CallSoon(func() { t.handshakeDone(err) })
		l.releaseClock()
	}()
}

// handshakeDone is the handshake's result, on the loop.
func (t *tlsTransport) handshakeDone(err error) {
	if t.hsOver {
		return // failed already (a timeout, a cancellation, a lost connection)
	}
	if err != nil {
		t.fail(fmt.Errorf("aio: TLS handshake with %s failed: %w", t.peer, err), false)
		return
	}
	t.hsOver = true
	t.hsTimer.Cancel()
	t.pipe.loopMode()
	if t.onHandshake != nil {
		t.onHandshake(nil)
	}
	if t.lost || t.closeReq {
		return
	}
	t.appMade, t.reading = true, true
	if !t.guard("ConnectionMade", func() { t.app.ConnectionMade(t) }) {
		return
	}
	t.flushFlow()
	// Bytes that came with the handshake's last may be in the pipe or
	// already read into crypto/tls (it reads ahead).
	t.scheduleDrain()
}

// fail ends a handshake that has not succeeded: the caller hears err, the
// connection is closed (at once when abort, else after the alert
// crypto/tls wrote) and an app protocol already made gets err in
// ConnectionLost.
func (t *tlsTransport) fail(err error, abort bool) {
	if t.hsOver {
		return
	}
	t.hsOver = true
	t.hsTimer.Cancel()
	t.pipe.fail(err)
	if t.onHandshake != nil {
		t.onHandshake(err)
	} else if t.srv != nil && t.l.debug {
		t.l.CallExceptionHandler(ExceptionContext{Message: "aio: a TLS server's handshake failed", Err: err})
	}
	if t.lost {
		return
	}
	t.lost, t.closing, t.reading, t.lostErr = true, true, false, err
	if abort {
		t.raw.Abort()
	} else {
		t.raw.Close()
	}
}

// guard runs an app protocol callback as tcpTransport.guard does.
func (t *tlsTransport) guard(what string, fn func()) bool {
	if pe := callProtocol(t.l, "TLS", what, fn); pe != nil {
		t.lose(pe)
		return false
	}
	return true
}

// lose ends the connection at once: the raw transport is aborted, and its
// ConnectionLost brings err to the app protocol's.
func (t *tlsTransport) lose(err error) {
	if !t.hsOver {
		t.fail(err, true)
		return
	}
	if t.lost {
		return
	}
	t.lost, t.closing, t.reading, t.lostErr = true, true, false, err
	t.raw.Abort()
}

// tlsBufs are the plaintext buffers of Protocols' reads: taken for one
// drain, so an idle TLS connection holds none.
var tlsBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

func (t *tlsTransport) scheduleDrain() {
	if t.drainDue {
		return
	}
	t.drainDue = true
	t.l.CallSoon(func() {
		t.drainDue = false
		t.drain()
	})
}

// drain reads crypto/tls until its pipe would block, the app protocol
// pauses or the connection ends, handing the plaintext to the app
// protocol.
func (t *tlsTransport) drain() {
	var bp *[]byte
	if t.p != nil {
		bp = tlsBufs.Get().(*[]byte)
		defer tlsBufs.Put(bp)
	}
	for t.reading && !t.lost {
		var err error
		if t.p != nil {
			buf := *bp
			n := 0
			t.inCall++
			// Records hold 16 KiB at most: gather several for one call.
			for n < len(buf) && err == nil {
				var k int
				k, err = t.conn.Read(buf[n:])
				n += k
			}
			t.inCall--
			if n > 0 && !t.guard("DataReceived", func() { t.p.DataReceived(buf[:n]) }) {
				return
			}
		} else {
			var buf []byte
			if !t.guard("GetBuffer", func() { buf = t.bp.GetBuffer(readSize) }) {
				return
			}
			if len(buf) == 0 {
				t.lose(errors.New("aio: BufferedProtocol.GetBuffer returned an empty buffer"))
				return
			}
			var n int
			t.inCall++
			n, err = t.conn.Read(buf)
			t.inCall--
			if n > 0 && !t.guard("BufferUpdated", func() { t.bp.BufferUpdated(n) }) {
				return
			}
		}
		t.flushFlow()
		switch {
		case err == nil:
		case isWouldBlock(err):
			return
		case err == io.EOF:
			t.gotEOF()
			return
		default:
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("aio: TLS connection with %s: the peer closed in the middle of a record: %w", t.peer, err)
			} else {
				err = fmt.Errorf("aio: TLS connection with %s: %w", t.peer, err)
			}
			t.lose(err)
			return
		}
	}
}

// gotEOF is the end of the TLS stream: the peer's close_notify, or a TCP
// end of stream at a record boundary, which crypto/tls does not tell apart
// (both are io.EOF; one in the middle of a record is an error).
func (t *tlsTransport) gotEOF() {
	t.reading, t.eofIn = false, true
	keep := false
	var ok bool
	if t.bp != nil {
		ok = t.guard("EOFReceived", func() { keep = t.bp.EOFReceived() })
	} else {
		ok = t.guard("EOFReceived", func() { keep = t.p.EOFReceived() })
	}
	if ok && !keep {
		t.Close()
	}
}

// flushFlow tells the app protocol of a change in the raw transport's
// write pausing, once no crypto/tls call is running (the app protocol may
// write from PauseWriting, and crypto/tls holds its write lock while it
// writes to the raw transport).
func (t *tlsTransport) flushFlow() {
	for t.inCall == 0 && t.appMade && !t.lost && t.wpaused != t.rawPaused && t.fc != nil {
		t.wpaused = t.rawPaused
		if t.wpaused {
			t.guard("PauseWriting", t.fc.PauseWriting)
		} else {
			t.guard("ResumeWriting", t.fc.ResumeWriting)
		}
	}
}

// Write implements Transport: p is encrypted into records, which go to
// the raw transport's Write (sent at once, or buffered there).
func (t *tlsTransport) Write(p []byte) error {
	if t.closing {
		return errTransportClosed
	}
	if len(p) == 0 {
		return nil
	}
	t.inCall++
	_, err := t.conn.Write(p)
	t.inCall--
	if err != nil {
		err = fmt.Errorf("aio: TLS connection with %s: %w", t.peer, err)
		t.lose(err)
		return err
	}
	t.flushFlow()
	return nil
}

// Writev implements Transport: small buffers are joined so that they go
// in one record.
func (t *tlsTransport) Writev(bufs [][]byte) error {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total <= 16<<10 {
		joined := make([]byte, 0, total)
		for _, b := range bufs {
			joined = append(joined, b...)
		}
		return t.Write(joined)
	}
	if t.closing {
		return errTransportClosed
	}
	for _, b := range bufs {
		if err := t.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// WriteEOF implements Transport: TLS cannot half-close here.
func (t *tlsTransport) WriteEOF() error { return errTLSNoEOF }

// CanWriteEOF implements Transport: false.
func (t *tlsTransport) CanWriteEOF() bool { return false }

// Close implements Transport: reading stops, close_notify follows the
// buffered bytes, and the raw transport closes once they are sent, or is
// aborted after the shutdown timeout. The peer's close_notify is not
// waited for. ConnectionLost gets nil, or the error of a write that
// failed meanwhile, or the shutdown timeout's.
func (t *tlsTransport) Close() error {
	if t.lost || t.closeReq {
		return nil
	}
	if !t.hsOver {
		t.fail(fmt.Errorf("aio: TLS handshake with %s: the connection was closed first: %w", t.peer, net.ErrClosed), true)
		return nil
	}
	t.closeReq, t.closing = true, true
	t.PauseReading()
	t.inCall++
	t.conn.CloseWrite() // close_notify; fails only on a lost raw transport, which says so
	t.inCall--
	if t.lost {
		return nil
	}
	t.raw.Close()
	if d := t.opts.shutdown; d > 0 && d != duet.NoTimeout && !t.raw.lost {
		t.timer, _ = t.l.CallLater(d, func() {
			if !t.raw.lost {
				t.lost, t.lostErr = true, fmt.Errorf("aio: TLS close with %s: %d bytes still unsent after %v (WithShutdownTimeout): %w", t.peer, t.raw.WriteBufferSize(), d, duet.ErrTimeout)
				t.raw.Abort()
			}
		})
	}
	return nil
}

// Abort implements Transport.
func (t *tlsTransport) Abort() { t.lose(errAborted) }

// IsClosing implements Transport.
func (t *tlsTransport) IsClosing() bool { return t.closeReq || t.lost }

// PauseReading implements Transport: the raw transport stops reading too,
// so the peer is slowed by TCP; what crypto/tls holds waits.
func (t *tlsTransport) PauseReading() {
	if !t.reading {
		return
	}
	t.reading = false
	t.raw.PauseReading()
}

// ResumeReading implements Transport: what was received meanwhile is
// delivered from a callback of the loop, not from inside the call.
func (t *tlsTransport) ResumeReading() {
	if t.reading || t.closeReq || t.lost || t.eofIn || !t.hsOver {
		return
	}
	t.reading = true
	t.raw.ResumeReading()
	t.scheduleDrain()
}

// IsReading implements Transport.
func (t *tlsTransport) IsReading() bool { return t.reading }

// SetWriteBufferLimits implements Transport: the raw transport's buffer
// holds the records, so its watermarks are these.
func (t *tlsTransport) SetWriteBufferLimits(high, low int) {
	t.raw.SetWriteBufferLimits(high, low)
	t.flushFlow()
}

// WriteBufferSize implements Transport: the encrypted bytes not yet sent
// (crypto/tls keeps none).
func (t *tlsTransport) WriteBufferSize() int { return t.raw.WriteBufferSize() }

// LocalAddr implements Transport.
func (t *tlsTransport) LocalAddr() net.Addr { return t.raw.LocalAddr() }

// RemoteAddr implements Transport.
func (t *tlsTransport) RemoteAddr() net.Addr { return t.raw.RemoteAddr() }

// ConnectionState returns the TLS connection's state: version, cipher
// suite, the peer's certificates, ALPN (Python: get_extra_info("ssl_object"),
// ("peercert"), ("cipher")). It is the method of *tls.Conn, so code may
// ask any Transport for interface{ ConnectionState() tls.ConnectionState }.
// Safe from any goroutine.
func (t *tlsTransport) ConnectionState() tls.ConnectionState { return t.conn.ConnectionState() }

// SyscallConn returns the socket under the TLS (Python:
// get_extra_info("socket")); see tcpTransport.SyscallConn.
func (t *tlsTransport) SyscallConn() (syscall.RawConn, error) { return t.raw.SyscallConn() }

var _ Transport = (*tlsTransport)(nil)

// tlsLower is a TLS transport as its raw transport's protocol.
type tlsLower tlsTransport

var (
	_ Protocol       = (*tlsLower)(nil)
	_ FlowController = (*tlsLower)(nil)
)

// ConnectionMade starts the handshake (CreateConnection and CreateServer;
// StartTLS attaches to a transport already made).
func (lw *tlsLower) ConnectionMade(raw Transport) {
	(*tlsTransport)(lw).attach(raw.(*tcpTransport), nil)
}

func (lw *tlsLower) DataReceived(p []byte) {
	t := (*tlsTransport)(lw)
	switch {
	case t.lost:
	case !t.hsOver:
		t.pipe.feed(p)
	default:
		t.pipe.lend(p)
		if t.reading {
			t.drain()
		}
		t.pipe.keep()
	}
}

// EOFReceived keeps the raw transport open: the TLS transport closes it
// once its app protocol has heard the end (or at once when crypto/tls
// finds it in the middle of a record).
func (lw *tlsLower) EOFReceived() bool {
	t := (*tlsTransport)(lw)
	t.pipe.setEOF()
	if t.hsOver && t.reading {
		t.drain()
	}
	return true
}

func (lw *tlsLower) ConnectionLost(err error) {
	t := (*tlsTransport)(lw)
	if t.lostErr != nil {
		err = t.lostErr
	}
	t.timer.Cancel()
	if !t.hsOver {
		if err == nil {
			err = io.EOF
		}
		t.fail(fmt.Errorf("aio: TLS handshake with %s: the connection was lost: %w", t.peer, err), true)
		err = t.lostErr
	}
	t.lost, t.closing, t.reading = true, true, false
	t.pipe.fail(net.ErrClosed)
	defer func() {
		if t.srv != nil {
			t.srv.detach(t)
		}
	}()
	if t.appMade {
		callProtocol(t.l, "TLS", "ConnectionLost", func() { t.app.ConnectionLost(err) })
	}
}

func (lw *tlsLower) PauseWriting() {
	t := (*tlsTransport)(lw)
	t.rawPaused = true
	t.flushFlow()
}

func (lw *tlsLower) ResumeWriting() {
	t := (*tlsTransport)(lw)
	t.rawPaused = false
	t.flushFlow()
}
