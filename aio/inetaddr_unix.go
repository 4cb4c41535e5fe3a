//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio

import "golang.org/x/sys/unix"

// inetAddrOf returns fd's local address, or its peer's, through x/sys's
// Getsockname and Getpeername (which allocate the sockaddr): the zero
// inetAddr for an error or a family other than IP.
func inetAddrOf(fd int, peer bool) inetAddr {
	get := unix.Getsockname
	if peer {
		get = unix.Getpeername
	}
	sa, err := get(fd)
	if err != nil {
		return inetAddr{}
	}
	return sockaddrInet(sa)
}

// sockaddrInet returns sa as an inetAddr: the zero one for nil or a
// family other than IP.
func sockaddrInet(sa unix.Sockaddr) inetAddr {
	var a inetAddr
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		a.fam = 4
		copy(a.ip[:4], s.Addr[:])
		a.port = uint16(s.Port)
	case *unix.SockaddrInet6:
		a.fam = 6
		a.ip = s.Addr
		a.zone = s.ZoneId
		a.port = uint16(s.Port)
	}
	return a
}
