package aio

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// errMsgSize is what a datagram too large to send or to receive whole
// matches.
var errMsgSize error = syscall.EMSGSIZE

// dgramTransport is a datagram endpoint as its protocol sees it (Python:
// asyncio.selector_events._SelectorDatagramTransport), built on a poller
// FD's datagram operations: receives are StartRecvFrom's, sends go out
// at once (TrySendTo) and, when the socket is full, are copied and queued
// with SendTo, as asyncio's sendto buffers (data, addr) pairs.
//
// Everything here runs on the loop's goroutine.
type dgramTransport struct {
	l       *Loop
	fd      *poll.FD
	proto   DatagramProtocol
	fc      FlowController
	udp     bool // UDP, else "unixgram"
	v6      bool // an AF_INET6 socket
	cleanup func()

	laddr, raddr net.Addr

	reading bool
	closing bool // Close or a loss: no more sends
	lost    bool

	// The last sender, converted once for as long as it stays the same.
	lastSA   poll.Sockaddr
	lastAddr net.Addr

	wsize    int // bytes buffered, headers included
	high     int
	low      int
	wpaused  bool
	sendMax  int // the largest UDP payload, for EMSGSIZE's message
	recvDone func([]byte, int, poll.Sockaddr, error)
	alloc    func() []byte
}

func newDgramTransport(l *Loop, fd *poll.FD, proto DatagramProtocol, udp bool, cleanup func()) *dgramTransport {
	t := &dgramTransport{l: l, fd: fd, proto: proto, udp: udp, cleanup: cleanup, high: defaultHighWater, low: defaultHighWater / 4}
	t.fc, _ = proto.(FlowController)
	if udp {
		t.v6 = isIPv6Socket(fd.Fd())
		t.laddr, t.raddr = udpAddrOf(sockName(fd.Fd())), udpAddrOf(peerName(fd.Fd()))
		t.sendMax = 65507 // 65535 less the IPv4 and UDP headers
		if t.v6 {
			t.sendMax = 65527 // 65535 less the UDP header
		}
	} else {
		t.laddr, t.raddr = unixAddrOf(sockName(fd.Fd()), "unixgram"), unixAddrOf(peerName(fd.Fd()), "unixgram")
	}
	t.recvDone = t.onRecv
	t.alloc = t.allocBuf
	l.ioWaitBegin() // ended in lose
	return t
}

func (t *dgramTransport) start() {
	t.reading = true
	if !t.guard("ConnectionMade", func() { t.proto.ConnectionMade(t) }) || !t.reading {
		return
	}
	if err := t.fd.StartRecvFrom(t.alloc, t.recvDone); err != nil {
		t.lose(err)
	}
}

// guard runs a protocol callback; a panic is reported and aborts the
// endpoint, as tcpTransport.guard does for a connection.
func (t *dgramTransport) guard(what string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			pe := duet.NewPanicError(r)
			t.l.CallExceptionHandler(ExceptionContext{Message: "aio: panic in protocol " + what + " of a datagram transport", Err: pe})
			t.lose(pe)
		}
	}()
	fn()
	return true
}

// allocBuf lends the loop's one read buffer, as allocPlain does to a
// Protocol's reads: DatagramReceived keeps no reference to it.
func (t *dgramTransport) allocBuf() []byte { return t.l.sharedReadBuf() }

// sharedReadBuf returns the loop's one read buffer (see allocPlain), made
// at first use.
func (l *Loop) sharedReadBuf() []byte {
	if l.readBuf == nil {
		l.readBuf = make([]byte, readSize)
	}
	return l.readBuf
}

func (t *dgramTransport) onRecv(buf []byte, n int, from poll.Sockaddr, err error) {
	if t.lost {
		return
	}
	switch {
	case err == nil:
		addr := t.addrOf(from)
		t.guard("DatagramReceived", func() { t.proto.DatagramReceived(buf[:n], addr) })
	case errors.Is(err, net.ErrClosed):
		// Not lost, so not our Close or Abort: the loop is closing and its
		// poller closed the fd under us.
		t.lose(err)
	default:
		if errors.Is(err, poll.ErrTruncated) {
			err = fmt.Errorf("aio: a datagram from %v was longer than the %d-byte receive buffer and was dropped: %w", t.addrOf(from), len(buf), errMsgSize)
		}
		t.guard("ErrorReceived", func() { t.proto.ErrorReceived(err) })
	}
}

// addrOf converts a sender, reusing the last conversion for the same one.
func (t *dgramTransport) addrOf(from poll.Sockaddr) net.Addr {
	if from == nil {
		return t.raddr
	}
	if !t.udp {
		return unixAddrOf(from, "unixgram")
	}
	if t.lastSA == nil || !sameSockaddr(from, t.lastSA) {
		t.lastSA, t.lastAddr = from, udpAddrOf(from)
	}
	return t.lastAddr
}

// recipient converts SendTo's address, enforcing a connected endpoint's
// rule (asyncio: "Invalid address: must be None or <remote>").
func (t *dgramTransport) recipient(addr net.Addr) (poll.Sockaddr, error) {
	if t.raddr != nil {
		// The identities first: the remote address, or the sender
		// DatagramReceived was given (the peer, on a connected socket).
		if addr == nil || addr == t.raddr || addr == t.lastAddr || addr.String() == t.raddr.String() && addr.Network() == t.raddr.Network() {
			return nil, nil
		}
		return nil, fmt.Errorf("aio: SendTo %v on an endpoint connected to %v: give nil or the remote address (or use Send)", addr, t.raddr)
	}
	if addr != nil && addr == t.lastAddr {
		// An answer to the last sender, with the address DatagramReceived
		// was given: the system's form is at hand.
		return t.lastSA, nil
	}
	switch a := addr.(type) {
	case nil:
		return nil, errors.New("aio: SendTo with no address on an unconnected endpoint: give the recipient, or make the endpoint with a remote address")
	case *net.UDPAddr:
		if !t.udp {
			return nil, fmt.Errorf("aio: SendTo a UDP address (%v) on a unixgram endpoint: give a *net.UnixAddr", a)
		}
		sa, err := udpSockaddr(a, t.v6)
		if err != nil {
			return nil, fmt.Errorf("aio: SendTo: %w", err)
		}
		return sa, nil
	case *net.UnixAddr:
		if t.udp {
			return nil, fmt.Errorf("aio: SendTo a Unix address (%v) on a UDP endpoint: give a *net.UDPAddr", a)
		}
		sa, err := unixSockaddr(a.Name)
		if err != nil {
			return nil, fmt.Errorf("aio: SendTo: %w", err)
		}
		return sa, nil
	}
	return nil, fmt.Errorf("aio: SendTo: an address of type %T: give a *net.UDPAddr (UDP) or a *net.UnixAddr (unixgram)", addr)
}

// SendTo implements DatagramTransport.
func (t *dgramTransport) SendTo(p []byte, addr net.Addr) error {
	if t.closing {
		return errTransportClosed
	}
	sa, err := t.recipient(addr)
	if err != nil {
		return err
	}
	if t.wsize == 0 {
		sent, err := t.fd.TrySendTo(p, sa)
		if sent || err != nil {
			return t.sendErr(err, len(p), addr)
		}
	}
	c := append([]byte(nil), p...)
	size := len(c) + dgramHeader
	if err := t.fd.SendTo(c, sa, func(err error) { t.onSent(size, len(c), addr, err) }); err != nil {
		return t.sendErr(err, len(p), addr)
	}
	t.wsize += size
	if !t.wpaused && t.wsize > t.high && t.fc != nil {
		t.wpaused = true
		t.guard("PauseWriting", t.fc.PauseWriting)
	}
	return nil
}

// Send implements DatagramTransport.
func (t *dgramTransport) Send(p []byte) error {
	if t.raddr == nil && !t.closing {
		return errors.New("aio: Send on an unconnected endpoint: use SendTo with the recipient, or make the endpoint with a remote address")
	}
	return t.SendTo(p, nil)
}

// sendErr names what failed in a send's error; a datagram too large says
// its size and the limit.
func (t *dgramTransport) sendErr(err error, n int, addr net.Addr) error {
	if err == nil {
		return nil
	}
	if addr == nil {
		addr = t.raddr
	}
	if isMsgSize(err) {
		if t.udp {
			return fmt.Errorf("aio: SendTo %v: a datagram of %d bytes is larger than UDP allows (at most %d bytes of payload; less where the path's MTU is smaller and fragments are not allowed): %w", addr, n, t.sendMax, err)
		}
		return fmt.Errorf("aio: SendTo %v: a datagram of %d bytes is larger than the socket allows (its send buffer, SO_SNDBUF, is %d bytes, of which the kernel keeps some; raise it or send less): %w", addr, n, sendBufSize(t.fd.Fd()), err)
	}
	return fmt.Errorf("aio: SendTo %v: %w", addr, err)
}

// onSent is a queued send's completion.
func (t *dgramTransport) onSent(size, n int, addr net.Addr, err error) {
	if t.lost {
		return
	}
	t.wsize -= size
	if errors.Is(err, net.ErrClosed) {
		t.lose(err) // the loop's poller closed the fd under us
		return
	}
	if err != nil {
		err = t.sendErr(err, n, addr)
		t.guard("ErrorReceived", func() { t.proto.ErrorReceived(err) })
		if t.lost {
			return
		}
	}
	if t.wsize == 0 && t.closing {
		t.lose(nil)
		return
	}
	if t.wpaused && t.wsize <= t.low {
		t.wpaused = false
		t.guard("ResumeWriting", t.fc.ResumeWriting)
	}
}

// lose ends the endpoint: the fd is closed, dropping what is buffered, the
// socket file (unixgram) removed, and ConnectionLost(err) called from the
// loop's next iteration.
func (t *dgramTransport) lose(err error) {
	if t.lost {
		return
	}
	t.lost, t.closing, t.reading = true, true, false
	t.fd.Close()
	t.wsize = 0
	if t.cleanup != nil {
		t.cleanup()
		t.cleanup = nil
	}
	t.l.ioWaitEnd()
	call := func() {
		defer func() {
			if r := recover(); r != nil {
				t.l.CallExceptionHandler(ExceptionContext{Message: "aio: panic in protocol ConnectionLost of a datagram transport", Err: duet.NewPanicError(r)})
			}
		}()
		t.proto.ConnectionLost(err)
	}
	if _, cerr := t.l.CallSoon(call); cerr != nil {
		call()
	}
}

// Close implements DatagramTransport (Python: transport.close).
func (t *dgramTransport) Close() error {
	if t.closing {
		return nil
	}
	t.closing = true
	t.pauseReading()
	if t.wsize == 0 {
		t.lose(nil)
	}
	return nil
}

// Abort implements DatagramTransport (Python: transport.abort).
func (t *dgramTransport) Abort() { t.lose(errAborted) }

// IsClosing implements DatagramTransport.
func (t *dgramTransport) IsClosing() bool { return t.closing }

// pauseReading and resumeReading stop and restart receiving (a
// PacketConn's back-pressure): datagrams wait in the kernel meanwhile.
func (t *dgramTransport) pauseReading() {
	if t.reading {
		t.reading = false
		t.fd.StopRecv()
	}
}

func (t *dgramTransport) resumeReading() {
	if t.reading || t.closing {
		return
	}
	t.reading = true
	if err := t.fd.StartRecvFrom(t.alloc, t.recvDone); err != nil {
		t.lose(err)
	}
}

// SetWriteBufferLimits implements DatagramTransport.
func (t *dgramTransport) SetWriteBufferLimits(high, low int) {
	if high <= 0 {
		high = defaultHighWater
	}
	if low < 0 {
		low = high / 4
	}
	t.high, t.low = high, min(low, high)
	if t.lost || t.fc == nil {
		return
	}
	switch {
	case !t.wpaused && t.wsize > t.high:
		t.wpaused = true
		t.guard("PauseWriting", t.fc.PauseWriting)
	case t.wpaused && t.wsize <= t.low:
		t.wpaused = false
		t.guard("ResumeWriting", t.fc.ResumeWriting)
	}
}

// WriteBufferSize implements DatagramTransport.
func (t *dgramTransport) WriteBufferSize() int { return t.wsize }

// LocalAddr implements DatagramTransport.
func (t *dgramTransport) LocalAddr() net.Addr { return t.laddr }

// RemoteAddr implements DatagramTransport.
func (t *dgramTransport) RemoteAddr() net.Addr { return t.raddr }

var _ DatagramTransport = (*dgramTransport)(nil)
