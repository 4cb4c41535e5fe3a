package aio

import (
	"fmt"
	"io"
	"math"
	"net"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

const (
	// defaultHighWater is a write buffer's default high watermark, 64 KiB
	// as asyncio's (FlowControlMixin), with the low one a quarter of it.
	defaultHighWater = 64 << 10
	// readSize is the read buffer of a Protocol's transport and the size
	// hint given to a BufferedProtocol's GetBuffer: 64 KiB, which one
	// loopback read fills (asyncio reads up to 256 KiB; 64 KiB keeps an
	// idle connection's memory small).
	readSize = 64 << 10
	// chunkSize is the least a write buffer chunk holds: small writes made
	// while the socket is full are copied into one chunk, and a writev
	// sends many chunks.
	chunkSize = 16 << 10
	// maxSubmit bounds the chunks lent to the poller in one write, so that
	// WriteBufferSize, which drops when a write completes, follows the
	// socket's progress closely enough for the watermarks.
	maxSubmit = 16 // at most 255: a transport keeps it in a uint8
)

// errTransportClosed is Write's error after Close, WriteEOF or a lost
// connection.
var errTransportClosed = fmt.Errorf("aio: transport is closing or closed: %w", net.ErrClosed)

// errAborted is what ConnectionLost gets after Abort.
var errAborted = fmt.Errorf("aio: transport aborted: %w", net.ErrClosed)

// tcpTransport is a TCP connection as its protocol sees it (Python:
// asyncio.selector_events._SelectorSocketTransport), built on a poller FD:
// reads are the FD's StartRead, writes its completion-style Write, so the
// transport never sees readiness and needs no goroutine.
//
// Everything here runs on the loop's goroutine: the poller's callbacks
// inside Poll, the transport's methods from protocol callbacks and tasks.
//
// Every idle connection holds one, so its size counts: the flags sit
// together, the protocol is kept once (in p or bp, by kind), and the
// poller's callbacks are the transport itself (tcpIO), not closures, and
// the small counters share a word; that makes it 192 bytes, a size class
// of its own (one more word would take it to 208).
type tcpTransport struct {
	l    *Loop
	fd   *poll.FD
	p    Protocol         // a Protocol, or a protocol that is neither (see baseOnly)
	bp   BufferedProtocol // a BufferedProtocol (p is then nil)
	srv  *Server          // the server that accepted it, if any
	slot int              // its index in srv.clients (see Server.attach)

	laddr, raddr inetAddr // by value: see inetAddr

	reading bool // reading is wanted (not paused, not closing)
	eofIn   bool // the peer half-closed

	closing  bool // Close, WriteEOF or a loss: no more writes
	eofOut   bool // WriteEOF was called
	eofSent  bool // shutdown(SHUT_WR) was made
	closeReq bool // Close was called: close the fd when the buffer drains
	lost     bool // the fd is closed and ConnectionLost is scheduled
	wpaused  bool // PauseWriting was called and ResumeWriting not yet

	// The write buffer: chunks owned by the transport (copies of what
	// Write was given). wq[:inflight] is lent to the poller's Write in
	// progress; later chunks accumulate.
	wq        [][]byte
	wsize     int // bytes buffered, lent ones included
	spare     []byte
	high, low int32 // the watermarks (SetWriteBufferLimits takes at most 2 GiB)

	// Small counters, in one word: inflight is at most maxSubmit;
	// idleSweeps counts its server's idle sweeps since a byte last moved
	// (WithIdleTimeout): a read or write clears it, nothing more;
	// wprogress is the poller write's progress the last sweep saw, only
	// ever compared for a change.
	inflight   uint8
	idleSweeps uint8
	wprogress  uint32
}

// newTCPTransport wraps a connected fd; start makes the connection live.
// local and peer are the connection's addresses when the caller has them
// (a listener on one address, accept), else the zero inetAddr: the system
// is asked.
func newTCPTransport(l *Loop, fd *poll.FD, proto BaseProtocol, srv *Server, local, peer inetAddr) *tcpTransport {
	t := &tcpTransport{l: l, fd: fd, srv: srv, high: defaultHighWater, low: defaultHighWater / 4}
	t.setProtocol(proto)
	if t.laddr = local; t.laddr.fam == 0 {
		t.laddr = fdInetAddr(fd.Fd(), false)
	}
	if t.raddr = peer; t.raddr.fam == 0 {
		t.raddr = fdInetAddr(fd.Fd(), true)
	}
	if t.laddr.fam == 0 || t.raddr.fam == 0 {
		// Not IP (a Unix socket): the addresses live on the loop, which
		// keeps them until the connection's ConnectionLost, so that IP
		// transports, every idle connection of a server, stay small.
		if l.otherAddrs == nil {
			l.otherAddrs = map[*tcpTransport][2]net.Addr{}
		}
		l.otherAddrs[t] = [2]net.Addr{localAddr(fd.Fd()), peerAddr(fd.Fd())}
	}
	// An open transport is a pending I/O wait: a virtual clock waits for
	// the autojump threshold before jumping past it (ended in lose).
	l.ioWaitBegin()
	if srv != nil {
		srv.attach(t)
	}
	return t
}

// start calls ConnectionMade and starts reading (Python: the transport's
// __init__ scheduling connection_made and then _add_reader).
func (t *tcpTransport) start() {
	if b, ok := t.p.(baseOnly); ok {
		t.lose(fmt.Errorf("aio: the protocol %T implements neither Protocol nor BufferedProtocol", b.BaseProtocol))
		return
	}
	// Reading counts as on during ConnectionMade, so that a PauseReading
	// there holds (asyncio starts reading right after connection_made).
	t.reading = true
	if !t.guard("ConnectionMade", func() { t.proto().ConnectionMade(t) }) || !t.reading {
		return
	}
	if err := t.fd.StartRead(t.io()); err != nil {
		t.lose(err)
	}
}

// guard runs a protocol callback; a panic is reported through the loop's
// exception handler and aborts this connection, ConnectionLost getting the
// *duet.PanicError (Python: _fatal_error from the transport's read and
// write paths). It reports whether fn returned.
func (t *tcpTransport) guard(what string, fn func()) (ok bool) {
	if pe := callProtocol(t.l, "TCP", what, fn); pe != nil {
		t.lose(pe)
		return false
	}
	return true
}

// callProtocol runs fn, a protocol callback of a kind transport; a panic
// is reported through l's exception handler and returned, for the caller
// to lose the connection with.
func callProtocol(l *Loop, kind, what string, fn func()) (pe *duet.PanicError) {
	defer func() {
		if r := recover(); r != nil {
			pe = duet.NewPanicError(r)
			l.CallExceptionHandler(ExceptionContext{Message: "aio: panic in protocol " + what + " of a " + kind + " transport", Err: pe})
		}
	}()
	fn()
	return nil
}

// setProtocol makes proto the transport's protocol from now on (Python:
// transport.set_protocol), for StartTLS, which puts TLS between the
// transport and its protocol.
func (t *tcpTransport) setProtocol(proto BaseProtocol) {
	t.p, t.bp = nil, nil
	switch pr := proto.(type) {
	case BufferedProtocol:
		t.bp = pr
	case Protocol:
		t.p = pr
	default:
		t.p = baseOnly{proto}
	}
}

// proto returns the transport's protocol.
func (t *tcpTransport) proto() BaseProtocol {
	if t.bp != nil {
		return t.bp
	}
	if b, ok := t.p.(baseOnly); ok {
		return b.BaseProtocol
	}
	return t.p
}

// baseOnly holds, in a transport's p, a protocol that implements neither
// Protocol nor BufferedProtocol, for start to refuse and ConnectionLost
// to reach: the transport keeps one protocol field per kind, not a third
// for this case. Its reading methods are never called.
type baseOnly struct{ BaseProtocol }

func (baseOnly) DataReceived([]byte) {}
func (baseOnly) EOFReceived() bool   { return false }

// tcpIO is a transport as the poller's Reader and Writer: a conversion,
// which allocates nothing, and keeps the poller's callbacks out of the
// Transport's method set.
type tcpIO tcpTransport

func (t *tcpTransport) io() *tcpIO { return (*tcpIO)(t) }

// ReadBuffer lends a Protocol's reads the loop's one read buffer, as libuv
// lends uvloop's: DataReceived may keep no reference to it, and the
// readiness poller fills and reports one read at a time (alloc, read,
// done), so every connection of the loop can share it, and an idle
// connection costs no buffer at all. A completion backend, which keeps
// reads outstanding, would need a buffer per read in flight (io_uring's
// provided buffers). A BufferedProtocol lends its own (allocBuffered).
func (t *tcpIO) ReadBuffer() []byte {
	if tt := (*tcpTransport)(t); tt.bp != nil {
		return tt.allocBuffered()
	}
	return t.l.sharedReadBuf()
}

func (t *tcpIO) ReadDone(buf []byte, n int, err error) { (*tcpTransport)(t).onRead(buf, n, err) }
func (t *tcpIO) WriteDone(n int, err error)            { (*tcpTransport)(t).onWritten(n, err) }

func (t *tcpTransport) serverSlot() *int { return &t.slot }

// flow returns the protocol as a FlowController, or nil when it is not
// one. It is asked only when the buffer crosses a watermark, rather than
// kept in a field of every transport.
func (t *tcpTransport) flow() FlowController {
	fc, _ := t.proto().(FlowController)
	return fc
}

func (t *tcpTransport) allocBuffered() []byte {
	var buf []byte
	if !t.guard("GetBuffer", func() { buf = t.bp.GetBuffer(readSize) }) {
		return nil // lose closed the fd: the poller takes nothing
	}
	// An empty buffer makes the poller stop reading with an error, which
	// onRead turns into a loss (Python: "get_buffer() returned an empty
	// buffer").
	return buf
}

// onRead is the poller's read completion.
func (t *tcpTransport) onRead(buf []byte, n int, err error) {
	if t.lost {
		return
	}
	switch {
	case err == nil:
		t.idleSweeps = 0
		if t.bp != nil {
			t.guard("BufferUpdated", func() { t.bp.BufferUpdated(n) })
		} else {
			t.guard("DataReceived", func() { t.p.DataReceived(buf[:n]) })
		}
	case err == io.EOF:
		// The poller stopped reading (Python: _read_ready__on_eof).
		t.reading = false
		t.eofIn = true
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
	default:
		t.lose(err)
	}
}

// Write implements Transport: a write made with nothing buffered goes to
// the socket at once, and what it does not take is copied into the
// transport's buffer, as asyncio's transport.write does.
func (t *tcpTransport) Write(p []byte) error {
	if t.closing {
		return errTransportClosed
	}
	if len(p) == 0 {
		return nil
	}
	if t.wsize == 0 {
		n, err := writeNow(t.fd.Fd(), p)
		if err != nil {
			t.lose(err)
			return err
		}
		t.idleSweeps = 0
		if n == len(p) {
			return nil
		}
		p = p[n:]
	}
	t.buffer(p)
	t.afterBuffered()
	return nil
}

// Writev implements Transport. With nothing buffered the buffers are
// lent to one poller write at once (which makes the writev before it
// returns) after copying; a single buffer takes Write's path.
func (t *tcpTransport) Writev(bufs [][]byte) error {
	if t.closing {
		return errTransportClosed
	}
	if len(bufs) == 1 {
		return t.Write(bufs[0])
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		return nil
	}
	for _, b := range bufs {
		if len(b) > 0 {
			t.buffer(b)
		}
	}
	t.afterBuffered()
	return nil
}

// buffer copies p into the write buffer's unlent tail.
func (t *tcpTransport) buffer(p []byte) {
	t.wsize += len(p)
	if k := len(t.wq); k > int(t.inflight) {
		last := t.wq[k-1]
		if n := min(cap(last)-len(last), len(p)); n > 0 {
			t.wq[k-1] = append(last, p[:n]...)
			p = p[n:]
		}
	}
	if len(p) == 0 {
		return
	}
	var c []byte
	if t.spare != nil && cap(t.spare) >= len(p) {
		c, t.spare = t.spare[:0], nil
	} else {
		c = make([]byte, 0, max(len(p), chunkSize))
	}
	t.wq = append(t.wq, append(c, p...))
}

// afterBuffered submits what was buffered if no write is in progress and
// applies the high watermark.
func (t *tcpTransport) afterBuffered() {
	if t.inflight == 0 {
		t.submit()
	}
	if !t.lost && !t.wpaused && t.wsize > int(t.high) && t.flow() != nil {
		t.wpaused = true
		t.guard("PauseWriting", t.flow().PauseWriting)
	}
}

// submit lends the first chunks to the poller.
func (t *tcpTransport) submit() {
	k := min(len(t.wq), maxSubmit)
	if k == 0 || t.lost {
		return
	}
	t.inflight = uint8(k)
	if err := t.fd.Write(t.wq[:k:k], t.io()); err != nil {
		t.lose(err)
	}
}

// onWritten is the poller's write completion: the lent chunks are the
// transport's again.
func (t *tcpTransport) onWritten(n int, err error) {
	if t.lost {
		return
	}
	t.wsize -= n
	if n > 0 {
		t.idleSweeps = 0
	}
	k := int(t.inflight)
	if c := t.wq[0]; cap(c) <= 4*chunkSize {
		t.spare = c[:0]
	}
	rest := copy(t.wq, t.wq[k:])
	clear(t.wq[rest:])
	t.wq = t.wq[:rest]
	t.inflight = 0
	if err != nil {
		t.lose(err)
		return
	}
	if len(t.wq) > 0 {
		t.submit()
	} else {
		t.drained()
	}
	if !t.lost && t.wpaused && t.wsize <= int(t.low) {
		t.wpaused = false
		if fc := t.flow(); fc != nil {
			t.guard("ResumeWriting", fc.ResumeWriting)
		}
	}
}

// drained runs when the write buffer empties: a pending Close or
// WriteEOF completes.
func (t *tcpTransport) drained() {
	switch {
	case t.closeReq:
		t.lose(nil)
	case t.eofOut && !t.eofSent:
		t.sendEOF()
	}
}

func (t *tcpTransport) sendEOF() {
	t.eofSent = true
	if err := shutdownWrite(t.fd.Fd()); err != nil {
		t.lose(err)
	}
}

// lose ends the connection: the fd is closed (dropping what is buffered),
// and ConnectionLost(err) is called once, from the loop's next iteration
// as asyncio's _call_connection_lost is, never from inside the method
// that lost it.
func (t *tcpTransport) lose(err error) {
	if t.lost {
		return
	}
	t.lost, t.closing, t.reading = true, true, false
	t.fd.Close() // completes pending operations, which onRead/onWritten ignore
	t.wq, t.inflight, t.wsize, t.spare = nil, 0, 0, nil
	t.l.ioWaitEnd()
	call := func() {
		callProtocol(t.l, "TCP", "ConnectionLost", func() { t.proto().ConnectionLost(err) })
		delete(t.l.otherAddrs, t)
		if t.srv != nil {
			t.srv.detach(t)
		}
	}
	if _, cerr := t.l.CallSoon(call); cerr != nil {
		call() // the loop is closing: its poller's Close is completing us
	}
}

// WriteEOF implements Transport.
func (t *tcpTransport) WriteEOF() error {
	if t.closing {
		if t.eofOut && !t.closeReq && !t.lost {
			return nil // a second WriteEOF
		}
		return errTransportClosed
	}
	t.closing, t.eofOut = true, true // closing for writes; IsClosing stays false
	if t.wsize == 0 {
		t.sendEOF()
	}
	return nil
}

// CanWriteEOF implements Transport: TCP can half-close.
func (t *tcpTransport) CanWriteEOF() bool { return true }

// Close implements Transport (Python: transport.close).
func (t *tcpTransport) Close() error {
	if t.lost || t.closeReq {
		return nil
	}
	t.closing, t.closeReq = true, true
	if t.reading {
		t.reading = false
		t.fd.StopRead()
	}
	if t.wsize == 0 {
		t.lose(nil)
	}
	return nil
}

// Abort implements Transport (Python: transport.abort).
func (t *tcpTransport) Abort() { t.lose(errAborted) }

// IsClosing implements Transport.
func (t *tcpTransport) IsClosing() bool { return t.closeReq || t.lost }

// PauseReading implements Transport.
func (t *tcpTransport) PauseReading() {
	if !t.reading {
		return
	}
	t.reading = false
	t.fd.StopRead()
}

// ResumeReading implements Transport. After the peer's end of stream, or
// once closing, it does nothing.
func (t *tcpTransport) ResumeReading() {
	if t.reading || t.closeReq || t.lost || t.eofIn {
		return
	}
	t.reading = true
	if err := t.fd.StartRead(t.io()); err != nil {
		t.lose(err)
	}
}

// IsReading implements Transport.
func (t *tcpTransport) IsReading() bool { return t.reading }

// SetWriteBufferLimits implements Transport. A low above high is taken as
// high.
func (t *tcpTransport) SetWriteBufferLimits(high, low int) {
	if high <= 0 {
		high = defaultHighWater
	}
	if low < 0 {
		low = high / 4
	}
	high = min(high, math.MaxInt32)
	t.high, t.low = int32(high), int32(min(low, high))
	if t.lost {
		return
	}
	switch {
	case !t.wpaused && t.wsize > int(t.high) && t.flow() != nil:
		t.wpaused = true
		t.guard("PauseWriting", t.flow().PauseWriting)
	case t.wpaused && t.wsize <= int(t.low):
		t.wpaused = false
		t.guard("ResumeWriting", t.flow().ResumeWriting)
	}
}

// WriteBufferSize implements Transport. Bytes lent to the poller count
// until their write completes.
func (t *tcpTransport) WriteBufferSize() int { return t.wsize }

// LocalAddr implements Transport: a new *net.TCPAddr at each call.
func (t *tcpTransport) LocalAddr() net.Addr {
	if t.laddr.fam == 0 {
		return t.l.otherAddrs[t][0]
	}
	return t.laddr.tcp()
}

// RemoteAddr implements Transport: a new *net.TCPAddr at each call.
func (t *tcpTransport) RemoteAddr() net.Addr {
	if t.raddr.fam == 0 {
		return t.l.otherAddrs[t][1]
	}
	return t.raddr.tcp()
}

var _ Transport = (*tcpTransport)(nil)
