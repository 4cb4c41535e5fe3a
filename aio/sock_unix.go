//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio

import (
	"errors"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet/internal/poll"
)

// This file holds what the TCP code needs of the system beyond the
// poller's FD operations: socket options, addresses, bind and listen, a
// direct write and shutdown. Elsewhere sock_other.go refuses with
// errors.ErrUnsupported, as the fallback poller does.

// sockFamily returns the address family for ip.
func sockFamily(ip netip.Addr) int {
	if ip.Is4() || ip.Is4In6() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// tcpSocket makes a non-blocking TCP socket for ip's family, registered
// with p.
func tcpSocket(p *poll.Poller, ip netip.Addr) (*poll.FD, error) {
	return p.Socket(sockFamily(ip), unix.SOCK_STREAM, unix.IPPROTO_TCP)
}

// toSockaddr converts an address and port to the system's form.
func toSockaddr(ip netip.Addr, port uint16) poll.Sockaddr {
	if ip.Is4() || ip.Is4In6() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.Unmap().As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa
}

// tcpAddrOf converts a system address to a *net.TCPAddr, or a Unix one to
// a *net.UnixAddr (nil for none).
func tcpAddrOf(sa poll.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		ta := &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ta.Zone = ifi.Name
			}
		}
		return ta
	case *unix.SockaddrUnix:
		// A Unix stream connection's ends: an unnamed client socket has
		// the empty name (x/sys reports it as "@").
		name := a.Name
		if name == "@" {
			name = ""
		}
		return &net.UnixAddr{Name: name, Net: "unix"}
	}
	return nil
}

// localAddr and peerAddr return fd's addresses (a *net.TCPAddr, or a
// *net.UnixAddr for a Unix socket), or nil.
func localAddr(fd int) net.Addr {
	if a := fdInetAddr(fd, false); a.fam != 0 {
		return a.tcp()
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return tcpAddrOf(sa)
}

func peerAddr(fd int) net.Addr {
	if a := fdInetAddr(fd, true); a.fam != 0 {
		return a.tcp()
	}
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return nil
	}
	return tcpAddrOf(sa)
}

// setNoDelay sets TCP_NODELAY, on by default as asyncio sets it
// (base_events._set_nodelay) and Go's net package does: a transport's
// writes are already coalesced by its buffer, and Nagle's delay would
// only add latency to request-response traffic.
func setNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

// listenTCP binds fd to sa with SO_REUSEADDR (as asyncio's create_server
// does on Unix, so that a restarted server need not wait out TIME_WAIT)
// and listens. v6only applies to an IPv6 socket: false makes "::" accept
// IPv4 too.
func listenTCP(fd int, sa poll.Sockaddr, v6only bool, backlog int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		v := 0
		if v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// writeNow makes one non-blocking write of p, for a transport with nothing
// queued: 0 and no error when the socket takes nothing now (EAGAIN).
func writeNow(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		}
		return 0, os.NewSyscallError("write", err)
	}
}

// shutdownWrite half-closes fd (Python: sock.shutdown(socket.SHUT_WR)).
// A peer already gone (ENOTCONN) is not an error: there is nothing to
// tell it.
func shutdownWrite(fd int) error {
	err := unix.Shutdown(fd, unix.SHUT_WR)
	if err == nil || errors.Is(err, unix.ENOTCONN) {
		return nil
	}
	return os.NewSyscallError("shutdown", err)
}

// dupFD duplicates fd, close-on-exec, for a connection handed to another
// loop's poller.
func dupFD(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	return nfd, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
}

func closeFD(fd int) { unix.Close(fd) }
