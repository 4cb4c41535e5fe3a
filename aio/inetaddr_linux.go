package aio

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fdInetAddr returns fd's local address, or its peer's, with the sockaddr
// on the stack: unix.Getsockname and unix.Getpeername allocate a
// RawSockaddrAny and a Sockaddr per call, garbage that every accepted
// connection made twice. The zero inetAddr stands for an error or a
// family other than IP. getsockname and getpeername never block, so the
// call is raw.
func fdInetAddr(fd int, peer bool) inetAddr {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	trap := uintptr(unix.SYS_GETSOCKNAME)
	if peer {
		trap = unix.SYS_GETPEERNAME
	}
	if _, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n))); e != 0 {
		if e == unix.ENOSYS {
			// 32-bit x86 before Linux 4.3 has these calls only through
			// socketcall, which x/sys uses there.
			return inetAddrOf(fd, peer)
		}
		return inetAddr{}
	}
	var a inetAddr
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		a.fam = 4
		copy(a.ip[:4], p.Addr[:])
		a.port = netPort(p.Port)
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		a.fam = 6
		a.ip = p.Addr
		a.zone = p.Scope_id
		a.port = netPort(p.Port)
	}
	return a
}

// netPort reads a port kept in network byte order.
func netPort(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
