package poll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// acceptScratch is what an accept writes the peer's address into, kept in
// the Poller: unix.Accept4 allocates a RawSockaddrAny and a Sockaddr per
// connection, garbage every accept made.
type acceptScratch struct {
	raw unix.RawSockaddrAny
	n   uint32
	in4 unix.SockaddrInet4
	in6 unix.SockaddrInet6
}

// accept accepts a connection on fd, non-blocking and close-on-exec. The
// Sockaddr of an IP peer is p's own and is rewritten by the next accept
// (Accept's callbacks must copy what they keep); any other family's is
// new. accept4 never blocks on a non-blocking socket, so the call is raw.
func (p *Poller) accept(fd int) (int, Sockaddr, error) {
	a := &p.acc
	a.n = unix.SizeofSockaddrAny
	nfd, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&a.raw)), uintptr(unsafe.Pointer(&a.n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	switch e {
	case 0:
	case unix.ENOSYS:
		// Older 32-bit kernels reach accept4 only through socketcall,
		// which x/sys uses there.
		return acceptAlloc(fd)
	default:
		return -1, nil, e
	}
	switch a.raw.Addr.Family {
	case unix.AF_INET:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a.raw))
		a.in4 = unix.SockaddrInet4{Port: netPort(&r.Port), Addr: r.Addr}
		return int(nfd), &a.in4, nil
	case unix.AF_INET6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(&a.raw))
		a.in6 = unix.SockaddrInet6{Port: netPort(&r.Port), ZoneId: r.Scope_id, Addr: r.Addr}
		return int(nfd), &a.in6, nil
	case unix.AF_UNIX:
		return int(nfd), unixSockaddr(&a.raw, a.n), nil
	}
	return int(nfd), nil, nil
}
