package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// DatagramProtocol receives an endpoint's datagrams (Python:
// asyncio.DatagramProtocol). Its methods are called on the loop's
// goroutine, one at a time, as a Protocol's are: they must not block, and
// a panic in one is reported through the loop's exception handler and
// aborts the endpoint (ConnectionLost then gets the *duet.PanicError). A
// protocol that implements FlowController hears when the transport's
// write buffer passes its watermarks.
type DatagramProtocol interface {
	// ConnectionMade is called once, first, with the endpoint's
	// transport, before CreateDatagramEndpoint returns.
	ConnectionMade(t DatagramTransport)
	// DatagramReceived is called with each datagram received and its
	// sender: a *net.UDPAddr for UDP, a *net.UnixAddr for "unixgram" (nil
	// from an unnamed Unix socket, which cannot be answered). p is lent,
	// as DataReceived's is: it is valid only until DatagramReceived
	// returns, after which the transport receives into it again; copy what
	// must outlive the call. addr may be the same value as the previous
	// call's when the sender is: treat it as read-only. An empty datagram
	// is an empty p.
	DatagramReceived(p []byte, addr net.Addr)
	// ErrorReceived is called with an error the socket reported for one
	// datagram, after which the endpoint goes on: a connected UDP
	// endpoint's ICMP port unreachable (matching syscall.ECONNREFUSED), a
	// buffered send that failed, a datagram received truncated (matching
	// syscall.EMSGSIZE). Python: error_received.
	ErrorReceived(err error)
	// ConnectionLost is called once, last, when the endpoint is closed:
	// nil after Close, an error matching net.ErrClosed after Abort, the
	// *duet.PanicError after a panic of the protocol's.
	ConnectionLost(err error)
}

// DatagramTransport is a datagram endpoint as its protocol sees it
// (Python: asyncio.DatagramTransport). Its methods are for the loop's
// goroutine (the protocol's callbacks, the loop's tasks); none of them
// blocks.
type DatagramTransport interface {
	// SendTo sends p as one datagram to addr, a *net.UDPAddr (UDP) or a
	// *net.UnixAddr ("unixgram"); on a connected endpoint addr must be nil
	// or the remote address. p may be reused as soon as SendTo returns:
	// a datagram the socket takes at once is sent before SendTo returns,
	// one it does not take (its buffer is full) is copied and buffered, to
	// go out in order as the socket drains, the buffer being counted
	// toward the watermarks (see SetWriteBufferLimits). As in asyncio the
	// buffer has no hard bound: a protocol that goes on sending after
	// PauseWriting only uses more memory (PacketConn's writers wait
	// instead). An error of a send
	// made at once is SendTo's result (a datagram larger than the socket
	// allows is an error naming its size and the limit and matching
	// syscall.EMSGSIZE); an error of a buffered send goes to the
	// protocol's ErrorReceived (asyncio passes both to error_received).
	// An empty p is sent as an empty datagram. After Close or Abort it
	// returns an error matching net.ErrClosed.
	SendTo(p []byte, addr net.Addr) error
	// Send is SendTo to a connected endpoint's remote address (Python:
	// sendto(data) with no address); on an unconnected endpoint it is an
	// error.
	Send(p []byte) error
	// Close closes the endpoint once its buffered datagrams are sent;
	// receiving stops at once, and ConnectionLost(nil) follows. Closing
	// again does nothing.
	Close() error
	// Abort closes the endpoint at once, dropping what is buffered;
	// ConnectionLost gets an error matching net.ErrClosed.
	Abort()
	// IsClosing reports whether Close or Abort was called or the endpoint
	// was lost.
	IsClosing() bool
	// SetWriteBufferLimits sets the write buffer's watermarks in bytes,
	// as Transport's does: above high the protocol's PauseWriting is
	// called, at or below low its ResumeWriting (a FlowController). Each
	// buffered datagram counts its length plus 8 bytes, as asyncio's
	// does. high <= 0 means 64 KiB, low < 0 a quarter of high.
	SetWriteBufferLimits(high, low int)
	// WriteBufferSize returns the bytes buffered, datagram headers
	// included (Python: get_write_buffer_size).
	WriteBufferSize() int
	// LocalAddr returns the address the socket is bound to (nil for an
	// unbound Unix socket); RemoteAddr the connected peer's, or nil when
	// unconnected (Python: get_extra_info("sockname") and ("peername")).
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// DatagramOption configures CreateDatagramEndpoint and ListenPacket.
type DatagramOption func(*dgramOpts)

type dgramOpts struct {
	reusePort bool
	broadcast bool
}

// WithDatagramReusePort sets SO_REUSEPORT on an endpoint's socket before it is
// bound, so that several sockets (of this process or others of the same
// user) bind one address and port; on Linux the kernel spreads the
// datagrams among them (Python: create_datagram_endpoint's reuse_port).
// Where the system has no SO_REUSEPORT the endpoint is refused with the
// system's error. asyncio's reuse_address, removed in Python 3.11 because
// SO_REUSEADDR lets another user's socket take a UDP port, has no
// counterpart.
func WithDatagramReusePort() DatagramOption { return func(o *dgramOpts) { o.reusePort = true } }

// WithAllowBroadcast sets SO_BROADCAST on a UDP endpoint's socket, so that
// it may send to a broadcast address (Python: create_datagram_endpoint's
// allow_broadcast); without it such a send fails with EACCES.
func WithAllowBroadcast() DatagramOption { return func(o *dgramOpts) { o.broadcast = true } }

// dgramHeader is what a buffered datagram counts beyond its bytes,
// asyncio's _SelectorDatagramTransport._HEADER_SIZE.
const dgramHeader = 8

// CreateDatagramEndpoint makes a datagram endpoint and returns its
// transport and the protocol factory made for it, once the protocol's
// ConnectionMade has been called (Python: loop.create_datagram_endpoint).
//
// network is "udp", "udp4", "udp6" or "unixgram". For UDP, local and
// remote are "host:port" as for net.ListenPacket and net.Dial, each
// optional (""): local is the address to bind (an empty host binds every
// address, "udp" the dual-stack "::" where the system has IPv6; port 0
// picks a free port, LocalAddr says which), remote makes a connected
// endpoint, whose socket takes datagrams from that address only, sends
// there with Send, and hears ICMP errors (an unreachable port) as
// ErrorReceived. With neither, the endpoint is bound to a free port on
// every address. A host name is resolved on the loop's default executor
// and its first address of the right family used (with both given, the
// first pair of one family).
//
// For "unixgram", local and remote are socket paths (a leading '@' names
// an abstract socket on Linux), and an empty local leaves the socket
// unnamed: it can send, but nobody can answer it. As asyncio does, a
// socket file already at local is removed before the bind (one left by a
// process that exited would make the bind fail), while any other file
// there is left alone and the endpoint refused with an error matching
// syscall.EADDRINUSE; Close removes the file the endpoint bound if it is
// still the same file (asyncio leaves it). A path longer than the system
// takes (107 bytes on Linux) is an error saying so.
//
// The transport receives on the loop's poller with no goroutine of its
// own, into the loop's one 64 KiB read buffer (the largest UDP payload is
// 65,507 bytes over IPv4); a longer Unix datagram arrives truncated and
// is reported to ErrorReceived instead of delivered. Sends are made at
// once, and buffered only when the socket's buffer is full (see
// DatagramTransport.SendTo).
//
// Call it from a task of l, with the task's ctx (for the name lookup).
// Errors name the network and addresses and wrap the cause: a local
// address in use matches syscall.EADDRINUSE. An open endpoint holds a
// virtual clock as a pending I/O wait does.
func (l *Loop) CreateDatagramEndpoint(ctx context.Context, network, local, remote string, factory func() DatagramProtocol, opts ...DatagramOption) (DatagramTransport, DatagramProtocol, error) {
	if ctx == nil {
		return nil, nil, nilCtx("CreateDatagramEndpoint")
	}
	fail := func(err error) (DatagramTransport, DatagramProtocol, error) {
		return nil, nil, fmt.Errorf("aio: CreateDatagramEndpoint %s local %q remote %q: %w", network, local, remote, err)
	}
	var o dgramOpts
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case factory == nil:
		return fail(errors.New("nil protocol factory"))
	case l.IsClosed():
		return fail(errLoopClosed)
	case !l.onLoop():
		return fail(errNotOnLoopIO)
	}
	p, err := l.poller()
	if err != nil {
		return fail(err)
	}
	var fd *poll.FD
	var cleanup func()
	switch network {
	case "udp", "udp4", "udp6":
		fd, err = openUDP(ctx, p, network, local, remote, o)
	case "unixgram":
		if o.broadcast || o.reusePort {
			return fail(errors.New("WithAllowBroadcast and WithDatagramReusePort are for UDP, not unixgram"))
		}
		fd, cleanup, err = openUnixgram(p, local, remote)
	default:
		err = fmt.Errorf("unknown network %q (want udp, udp4, udp6 or unixgram)", network)
	}
	if err != nil {
		return fail(err)
	}
	proto, err := callFactory(factory)
	if err != nil {
		fd.Close()
		if cleanup != nil {
			cleanup()
		}
		return fail(err)
	}
	t := newDgramTransport(l, fd, proto, network != "unixgram", cleanup)
	t.start()
	return t, proto, nil
}

// callFactory calls a protocol factory, turning a panic into a
// *duet.PanicError and a nil protocol into an error.
func callFactory[P comparable](factory func() P) (proto P, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = duet.NewPanicError(r)
		}
	}()
	proto = factory()
	var zero P
	if proto == zero {
		return zero, errors.New("the protocol factory returned nil")
	}
	return proto, nil
}

// openUDP makes, configures, binds and connects a UDP endpoint's socket.
func openUDP(ctx context.Context, p *poll.Poller, network, local, remote string, o dgramOpts) (*poll.FD, error) {
	tcpNet := "tcp" + network[len("udp"):] // resolveTCP's family rules are UDP's too
	if local == "" && remote == "" {
		local = ":0"
	}
	var lips, rips []netip.Addr
	var lport, rport uint16
	var err error
	if local != "" {
		if lips, lport, err = resolveTCP(ctx, tcpNet, local, true); err != nil {
			return nil, fmt.Errorf("local address: %w", err)
		}
	}
	if remote != "" {
		if rips, rport, err = resolveTCP(ctx, tcpNet, remote, false); err != nil {
			return nil, fmt.Errorf("remote address: %w", err)
		}
	}
	// Pick the family and the addresses: the first remote address whose
	// family a given local host has, else the first remote address with
	// the unspecified local address of its family.
	var lip, rip netip.Addr
	v6only := true
	switch {
	case rips != nil && lips != nil:
	pair:
		for _, r := range rips {
			for _, lo := range lips {
				if is4(r) == is4(lo) {
					lip, rip = lo, r
					break pair
				}
			}
		}
		if !rip.IsValid() {
			return nil, errors.New("the local and remote addresses have no address family in common")
		}
	case rips != nil:
		rip = rips[0]
		if is4(rip) {
			lip = netip.IPv4Unspecified()
		} else {
			lip = netip.IPv6Unspecified()
		}
	case lips != nil:
		lip = lips[0]
	case network == "udp4":
		lip = netip.IPv4Unspecified()
	default:
		lip, v6only = netip.IPv6Unspecified(), network == "udp6"
	}
	fd, err := udpSocket(p, lip)
	if err != nil && network == "udp" && !v6only {
		lip = netip.IPv4Unspecified() // no IPv6 here
		fd, err = udpSocket(p, lip)
	}
	if err != nil {
		return nil, err
	}
	if err := setupUDP(fd.Fd(), lip, lport, rip, rport, local != "", v6only, o); err != nil {
		fd.Close()
		return nil, err
	}
	return fd, nil
}

func setupUDP(fd int, lip netip.Addr, lport uint16, rip netip.Addr, rport uint16, bind, v6only bool, o dgramOpts) error {
	lsa := toSockaddr(lip, lport)
	if err := setV6Only(fd, lsa, v6only); err != nil {
		return err
	}
	if o.reusePort {
		if err := setReusePort(fd); err != nil {
			return fmt.Errorf("reuse port: %w", err)
		}
	}
	if o.broadcast {
		if err := setBroadcast(fd); err != nil {
			return fmt.Errorf("allow broadcast: %w", err)
		}
	}
	if bind {
		if err := bindTo(fd, lsa); err != nil {
			return fmt.Errorf("bind %s: %w", netip.AddrPortFrom(lip, lport), err)
		}
	}
	if rip.IsValid() {
		if is4(lip) != is4(rip) {
			return errors.New("the local and remote addresses have no address family in common")
		}
		if err := connectDgram(fd, toSockaddr(rip, rport)); err != nil {
			return fmt.Errorf("connect %s: %w", netip.AddrPortFrom(rip, rport), err)
		}
	}
	return nil
}

func is4(ip netip.Addr) bool { return ip.Is4() || ip.Is4In6() }

// openUnixgram makes, binds and connects a "unixgram" endpoint's socket;
// cleanup, when not nil, removes the socket file it bound.
func openUnixgram(p *poll.Poller, local, remote string) (*poll.FD, func(), error) {
	var lsa, rsa poll.Sockaddr
	var err error
	if local != "" {
		if lsa, err = unixSockaddr(local); err != nil {
			return nil, nil, fmt.Errorf("local address: %w", err)
		}
	}
	if remote != "" {
		if rsa, err = unixSockaddr(remote); err != nil {
			return nil, nil, fmt.Errorf("remote address: %w", err)
		}
	}
	fd, err := unixSocket(p, true)
	if err != nil {
		return nil, nil, err
	}
	var cleanup func()
	if lsa != nil {
		if cleanup, err = bindUnix(fd.Fd(), local, lsa); err != nil {
			fd.Close()
			return nil, nil, err
		}
	}
	if rsa != nil {
		if err := connectDgram(fd.Fd(), rsa); err != nil {
			fd.Close()
			if cleanup != nil {
				cleanup()
			}
			return nil, nil, fmt.Errorf("connect %s: %w", remote, err)
		}
	}
	return fd, cleanup, nil
}

// bindUnix binds a Unix socket to path, first removing a stale socket file
// there (see CreateDatagramEndpoint and the "unix" network of
// CreateServer), and returns the cleanup that removes the file it made.
func bindUnix(fd int, path string, sa poll.Sockaddr) (func(), error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	if err := bindTo(fd, sa); err != nil {
		if isAddrInUse(err) && isNonSocketFile(path) {
			return nil, fmt.Errorf("bind %s: a file that is not a socket is there (it is not removed): %w", path, err)
		}
		return nil, fmt.Errorf("bind %s: %w", path, err)
	}
	id, ok := socketFileID(path)
	if !ok {
		return nil, nil // an abstract socket, with no file to remove
	}
	return func() { removeSocketFile(path, id) }, nil
}
