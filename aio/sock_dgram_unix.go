//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet/internal/poll"
)

// This file holds what UDP and Unix-domain sockets need of the system
// beyond the poller: their sockets, options, addresses, and the socket
// file of a Unix path. sock_dgram_other.go refuses them elsewhere.

// maxUnixPath is the longest path a Unix socket address holds: sun_path
// less its terminating NUL (107 bytes on Linux, 103 on the BSDs).
var maxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// udpSocket makes a non-blocking UDP socket for ip's family, registered
// with p.
func udpSocket(p *poll.Poller, ip netip.Addr) (*poll.FD, error) {
	return p.Socket(sockFamily(ip), unix.SOCK_DGRAM, unix.IPPROTO_UDP)
}

// unixSocket makes a non-blocking Unix-domain socket of a type
// (unix.SOCK_STREAM or unix.SOCK_DGRAM), registered with p.
func unixSocket(p *poll.Poller, dgram bool) (*poll.FD, error) {
	typ := unix.SOCK_STREAM
	if dgram {
		typ = unix.SOCK_DGRAM
	}
	return p.Socket(unix.AF_UNIX, typ, 0)
}

func setOpt(fd, level, opt, v int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, level, opt, v))
}

// setReusePort sets SO_REUSEPORT: sockets of one user bound to one
// address share it (the kernel spreads UDP datagrams among them on Linux).
func setReusePort(fd int) error { return setOpt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }

// setBroadcast sets SO_BROADCAST, without which a send to a broadcast
// address fails with EACCES.
func setBroadcast(fd int) error { return setOpt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1) }

// setV6Only sets IPV6_V6ONLY on an IPv6 socket (false: "::" takes IPv4
// too) and does nothing on an IPv4 one.
func setV6Only(fd int, sa poll.Sockaddr, on bool) error {
	if _, ok := sa.(*unix.SockaddrInet6); !ok {
		return nil
	}
	v := 0
	if on {
		v = 1
	}
	return setOpt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v)
}

func bindTo(fd int, sa poll.Sockaddr) error { return os.NewSyscallError("bind", unix.Bind(fd, sa)) }

// connectDgram sets a datagram socket's peer: connect(2) on a datagram
// socket completes at once, with no handshake.
func connectDgram(fd int, sa poll.Sockaddr) error {
	for {
		err := unix.Connect(fd, sa)
		if err == unix.EINTR {
			continue
		}
		return os.NewSyscallError("connect", err)
	}
}

func listenFD(fd, backlog int) error { return os.NewSyscallError("listen", unix.Listen(fd, backlog)) }

// isIPv6Socket reports whether fd is an AF_INET6 socket.
func isIPv6Socket(fd int) bool {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false
	}
	_, ok := sa.(*unix.SockaddrInet6)
	return ok
}

// sendBufSize returns fd's SO_SNDBUF, or 0.
func sendBufSize(fd int) int {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		return 0
	}
	return n
}

// isMsgSize reports whether err is EMSGSIZE, a datagram too large.
func isMsgSize(err error) bool { return errors.Is(err, unix.EMSGSIZE) }

// udpAddrOf converts a system address to a *net.UDPAddr, or nil.
func udpAddrOf(sa poll.Sockaddr) net.Addr {
	if ta, ok := tcpAddrOf(sa).(*net.TCPAddr); ok {
		return &net.UDPAddr{IP: ta.IP, Port: ta.Port, Zone: ta.Zone}
	}
	return nil
}

// unixAddrOf converts a system address to a *net.UnixAddr of network
// ("unix" or "unixgram"), or nil for an unnamed socket, which has no
// address to give (x/sys reports it as "@", an abstract name of nothing).
func unixAddrOf(sa poll.Sockaddr, network string) net.Addr {
	a, ok := sa.(*unix.SockaddrUnix)
	if !ok || a.Name == "" || a.Name == "@" {
		return nil
	}
	return &net.UnixAddr{Name: a.Name, Net: network}
}

// sameSockaddr reports whether two system addresses are the same IP
// address and port; a received datagram's sender is compared with the
// last one's, to give the protocol the same net.Addr without converting
// it again.
func sameSockaddr(a, b poll.Sockaddr) bool {
	switch x := a.(type) {
	case *unix.SockaddrInet4:
		y, ok := b.(*unix.SockaddrInet4)
		return ok && x.Port == y.Port && x.Addr == y.Addr
	case *unix.SockaddrInet6:
		y, ok := b.(*unix.SockaddrInet6)
		return ok && x.Port == y.Port && x.Addr == y.Addr && x.ZoneId == y.ZoneId
	}
	return false
}

// udpSockaddr converts a recipient to the socket's family: an IPv4
// address on an IPv6 socket is sent to as its IPv4-mapped form (which a
// dual-stack socket takes), an IPv6 one on an IPv4 socket is refused.
func udpSockaddr(a *net.UDPAddr, v6 bool) (poll.Sockaddr, error) {
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return nil, fmt.Errorf("the address %v has no valid IP", a)
	}
	if a.Port < 0 || a.Port > 0xffff {
		return nil, fmt.Errorf("the address %v has a port out of range", a)
	}
	ip = ip.WithZone(a.Zone)
	if !v6 {
		if !ip.Unmap().Is4() {
			return nil, fmt.Errorf("the address %v is IPv6 and the endpoint IPv4: send to an IPv4 address, or make the endpoint with network \"udp6\" or a local IPv6 address", a)
		}
		return toSockaddr(ip.Unmap(), uint16(a.Port)), nil
	}
	if ip.Is4() {
		ip = netip.AddrFrom16(ip.As16())
	}
	return toSockaddr(ip, uint16(a.Port)), nil
}

// unixSockaddr converts a path to a Unix socket address, refusing one
// longer than sun_path holds (x/sys would say only EINVAL). A path that
// starts with '@' names an abstract socket on Linux.
func unixSockaddr(path string) (poll.Sockaddr, error) {
	if path == "" {
		return nil, errors.New("an empty Unix socket path")
	}
	if len(path) > maxUnixPath {
		return nil, fmt.Errorf("the Unix socket path is %d bytes long and the system takes at most %d: use a shorter path (a relative one, or a directory nearer the root)", len(path), maxUnixPath)
	}
	return &unix.SockaddrUnix{Name: path}, nil
}

// isAbstract reports whether a Unix socket path names an abstract socket
// (Linux), which has no file.
func isAbstract(path string) bool { return path != "" && (path[0] == '@' || path[0] == 0) }

// fileID identifies a socket file, to tell later whether the file at its
// path is still the one bound (cleanup on close).
type fileID struct{ dev, ino uint64 }

// removeStaleSocket removes the file at path if it is a socket, before a
// bind to path, as asyncio's create_unix_server and create_datagram_endpoint
// do: a socket file left by a server that exited would make the bind fail
// with EADDRINUSE. Any other file is left alone (the bind then fails, and
// the error says so); a missing one is fine. A stat or remove that fails
// otherwise is returned (asyncio logs it and goes on to the bind).
func removeStaleSocket(path string) error {
	if isAbstract(path) {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil
	}
	if err := unix.Unlink(path); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("could not remove the stale socket file: %w", &os.PathError{Op: "remove", Path: path, Err: err})
	}
	return nil
}

// isNonSocketFile reports whether a file that is not a socket is at path.
func isNonSocketFile(path string) bool {
	var st unix.Stat_t
	return !isAbstract(path) && unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFSOCK
}

// socketFileID returns the identity of the socket file at path.
func socketFileID(path string) (fileID, bool) {
	var st unix.Stat_t
	if isAbstract(path) || unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}

// removeSocketFile removes path if it is still the socket file id names:
// a socket file another process bound since is not ours to remove
// (asyncio 3.13's cleanup_socket makes the same check).
func removeSocketFile(path string, id fileID) {
	if now, ok := socketFileID(path); ok && now == id {
		_ = unix.Unlink(path) // best effort: a file gone already is fine
	}
}

// sockName and peerName return fd's addresses in the system's form, or
// nil.
func sockName(fd int) poll.Sockaddr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return sa
}

func peerName(fd int) poll.Sockaddr {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return nil
	}
	return sa
}
