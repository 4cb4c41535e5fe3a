package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// DefaultHappyEyeballsDelay is how long CreateConnection gives one address
// before it starts connecting to the next one too, when a host has several:
// 250 ms, RFC 8305's recommended Connection Attempt Delay.
const DefaultHappyEyeballsDelay = 250 * time.Millisecond

// ConnOption configures CreateConnection.
type ConnOption func(*connOpts)

type connOpts struct {
	delay      time.Duration
	interleave int
	tls        *tlsSetup // WithTLS
}

// WithHappyEyeballsDelay sets how long an attempt to one of a host's
// addresses runs alone before the next address is tried alongside it
// (Python: create_connection's happy_eyeballs_delay; RFC 8305's Connection
// Attempt Delay). duet.NoTimeout tries the addresses one after another,
// each once the one before it has failed, as asyncio does without
// happy_eyeballs_delay. The default is DefaultHappyEyeballsDelay.
func WithHappyEyeballsDelay(d time.Duration) ConnOption {
	return func(o *connOpts) { o.delay = d }
}

// WithInterleave sets how many addresses of the resolver's first family
// are tried before the families alternate (Python: create_connection's
// interleave; RFC 8305's First Address Family Count). The default is 1.
func WithInterleave(n int) ConnOption {
	return func(o *connOpts) { o.interleave = n }
}

// CreateConnection connects to address over TCP and returns the connection's
// transport and the protocol factory made for it, once the protocol's
// ConnectionMade has been called (Python: loop.create_connection). network
// is "tcp", "tcp4" or "tcp6"; address is "host:port", as for net.Dial.
// Network "unix" connects to a Unix-domain stream socket at the path
// address instead, with the same transport (Python:
// loop.create_unix_connection; CreateServer says how paths are handled).
//
// It must be called from a task of l, with that task's ctx (or one derived
// from it): it waits without blocking the loop, and the loop runs other
// tasks meanwhile. A host name is resolved on the loop's default executor
// (ToThread with net.DefaultResolver), a literal IP address needs no
// lookup; a host with several addresses is connected to with Happy
// Eyeballs (RFC 8305, asyncio's happy_eyeballs_delay): the addresses are
// interleaved by family and the attempts staggered (WithHappyEyeballsDelay,
// WithInterleave); the first to connect wins and the others are cancelled.
//
// The transport is CreateServer's (see there for reading, buffers and
// panics): TCP_NODELAY on, writes buffered past what the socket takes at
// once. WithTLS puts TLS over it: CreateConnection then returns once the
// handshake is done, with the TLS transport.
//
// A cancellation of the task, or the end of ctx (duet.WithTimeout around
// the call), stops the connect and closes its sockets before
// CreateConnection returns (CPython leaks the socket of a cancelled
// connect: cpython#81839). Errors name the network and address and wrap
// the cause: a refused connect matches syscall.ECONNREFUSED.
func (l *Loop) CreateConnection(ctx context.Context, network, address string, factory func() BaseProtocol, opts ...ConnOption) (Transport, BaseProtocol, error) {
	if ctx == nil {
		return nil, nil, nilCtx("CreateConnection")
	}
	o := connOpts{delay: DefaultHappyEyeballsDelay, interleave: 1}
	for _, opt := range opts {
		opt(&o)
	}
	fail := func(err error) (Transport, BaseProtocol, error) {
		return nil, nil, fmt.Errorf("aio: CreateConnection %s %s: %w", network, address, err)
	}
	if err := l.checkIOCall(factory); err != nil {
		return fail(err)
	}
	if network == "unix" {
		p, err := l.poller()
		if err != nil {
			return fail(err)
		}
		fd, err := l.dialUnix(ctx, p, address)
		if err != nil {
			return fail(err)
		}
		return l.connected(ctx, fd, address, &o, factory, fail)
	}
	ips, port, err := resolveTCP(ctx, network, address, false)
	if err != nil {
		return fail(err)
	}
	p, err := l.poller()
	if err != nil {
		return fail(err)
	}
	var fd *poll.FD
	if len(ips) == 1 {
		fd, err = l.dialOne(ctx, p, ips[0], port)
	} else {
		ips = interleaveAddrs(ips, o.interleave)
		attempts := make([]func(context.Context) (*poll.FD, error), len(ips))
		for i, ip := range ips {
			attempts[i] = func(ctx context.Context) (*poll.FD, error) { return l.dialOne(ctx, p, ip, port) }
		}
		fd, _, err = staggeredRace(ctx, o.delay, attempts, func(fd *poll.FD) { fd.Close() })
	}
	if err != nil {
		return fail(err)
	}
	return l.connected(ctx, fd, address, &o, factory, fail)
}

// connected makes a connected fd's protocol and transport, with TLS over
// it when o says so (the handshake waits in ctx; address names the server).
func (l *Loop) connected(ctx context.Context, fd *poll.FD, address string, o *connOpts, factory func() BaseProtocol, fail func(error) (Transport, BaseProtocol, error)) (Transport, BaseProtocol, error) {
	proto, err := callFactory(factory)
	if err != nil {
		fd.Close()
		return fail(err)
	}
	if o.tls != nil {
		host, _, _ := net.SplitHostPort(address)
		tt, err := l.handshake(ctx, proto, clientConfig(o.tls.cfg, host), false, o.tls.opts, func(tt *tlsTransport) {
			newTCPTransport(l, fd, (*tlsLower)(tt), nil, inetAddr{}, inetAddr{}).start()
		})
		if err != nil {
			return fail(err)
		}
		return tt, proto, nil
	}
	t := newTCPTransport(l, fd, proto, nil, inetAddr{}, inetAddr{})
	t.start()
	return t, proto, nil
}

var errNotOnLoopIO = errors.New("call it from a task of the loop (the loop's poller belongs to its goroutine)")

// checkIOCall refuses a CreateConnection or CreateServer that cannot
// proceed: no factory, a closed loop, a caller off the loop.
func (l *Loop) checkIOCall(factory func() BaseProtocol) error {
	switch {
	case factory == nil:
		return errors.New("nil protocol factory")
	case l.IsClosed():
		return errLoopClosed
	case !l.onLoop():
		return errNotOnLoopIO
	}
	return nil
}

// dialOne connects one socket to ip:port and waits for the result; on any
// failure, a cancellation included, the socket is closed before it returns.
// Each error names the address.
func (l *Loop) dialOne(ctx context.Context, p *poll.Poller, ip netip.Addr, port uint16) (*poll.FD, error) {
	ap := netip.AddrPortFrom(ip, port)
	fd, err := tcpSocket(p, ip)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", ap, err)
	}
	if err := setNoDelay(fd.Fd(), true); err != nil {
		fd.Close()
		return nil, fmt.Errorf("dial %s: %w", ap, err)
	}
	if err := l.connectFD(ctx, fd, toSockaddr(ip, port)); err != nil {
		return nil, fmt.Errorf("dial %s: %w", ap, err)
	}
	return fd, nil
}

// connectFD connects fd to sa and waits for the result; on any failure, a
// cancellation included, it closes fd before it returns.
func (l *Loop) connectFD(ctx context.Context, fd *poll.FD, sa poll.Sockaddr) error {
	done := duet.NewFuture[struct{}]()
	l.ioWaitBegin()
	err := fd.Connect(sa, func(err error) { done.Complete(struct{}{}, err) })
	if err == nil {
		_, err = duet.Await(ctx, done)
	}
	l.ioWaitEnd()
	if err != nil {
		// Closing completes the connect, if still in progress, with
		// net.ErrClosed into a future nobody awaits any more.
		fd.Close()
	}
	return err
}

// resolveTCP splits address and resolves its host (off the loop, through
// the default executor, unless it is a literal IP), keeping the addresses
// of network's family. An empty host is the loopback address for a dial,
// the unspecified address (nil ips) for a listener.
func resolveTCP(ctx context.Context, network, address string, listen bool) (ips []netip.Addr, port uint16, err error) {
	ipnet := ""
	switch network {
	case "tcp":
		ipnet = "ip"
	case "tcp4":
		ipnet = "ip4"
	case "tcp6":
		ipnet = "ip6"
	default:
		return nil, 0, fmt.Errorf("unknown network %q (want tcp, tcp4, tcp6 or unix)", network)
	}
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return nil, 0, fmt.Errorf("%w (want HOST:PORT, such as 127.0.0.1:8080, [::1]:8080 or :8080)", err)
	}
	pn, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		n, lerr := ToThread(ctx, func(ctx context.Context) (int, error) {
			return net.DefaultResolver.LookupPort(ctx, network, ps)
		})
		if lerr != nil {
			return nil, 0, fmt.Errorf("%w (a port is a number from 0 to 65535, or a service name such as http)", lerr)
		}
		pn = uint64(n)
	}
	port = uint16(pn)
	if host == "" {
		if listen {
			return nil, port, nil
		}
		if network == "tcp6" {
			return []netip.Addr{netip.IPv6Loopback()}, port, nil
		}
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, port, nil
	}
	if ip, perr := netip.ParseAddr(host); perr == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = ToThread(ctx, func(ctx context.Context) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, ipnet, host)
		})
		if err != nil {
			return nil, 0, err
		}
	}
	kept := ips[:0:0]
	for _, ip := range ips {
		is4 := ip.Is4() || ip.Is4In6()
		if network == "tcp4" && !is4 || network == "tcp6" && is4 {
			continue
		}
		kept = append(kept, ip)
	}
	if len(kept) == 0 {
		return nil, 0, fmt.Errorf("no %s address for host %q", ipnet, host)
	}
	return kept, port, nil
}
