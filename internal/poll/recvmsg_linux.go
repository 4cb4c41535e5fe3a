package poll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvmsg receives one datagram into p with the sender's address, as
// unix.Recvmsg does, without its costs per datagram on Linux: x/sys asks
// the socket's protocol with a getsockopt for every IPv4 or IPv6 sender
// (to tell L2TP apart) and allocates a new address each time. Here the
// address is decoded from the FD's scratch, and the last sender's value is
// returned again while the sender stays the same.
func (d *dgram) recvmsg(fd int, p []byte) (n, flags int, from Sockaddr, err error) {
	var iov unix.Iovec
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	rsa := &d.rsa
	*rsa = unix.RawSockaddrAny{}
	msg := unix.Msghdr{Name: (*byte)(unsafe.Pointer(rsa)), Namelen: uint32(unsafe.Sizeof(*rsa)), Iov: &iov}
	msg.SetIovlen(1)
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0)
	if e != 0 {
		return 0, 0, nil, e
	}
	return int(r), int(msg.Flags), d.sender(msg.Namelen), nil
}

// sender decodes the address recvmsg left in d.rsa, reusing d.last when
// it is the same.
func (d *dgram) sender(namelen uint32) Sockaddr {
	switch d.rsa.Addr.Family {
	case unix.AF_INET:
		pp := (*unix.RawSockaddrInet4)(unsafe.Pointer(&d.rsa))
		port := netPort(&pp.Port)
		if last, ok := d.last.(*unix.SockaddrInet4); ok && last.Port == port && last.Addr == pp.Addr {
			return last
		}
		sa := &unix.SockaddrInet4{Port: port, Addr: pp.Addr}
		d.last = sa
		return sa
	case unix.AF_INET6:
		pp := (*unix.RawSockaddrInet6)(unsafe.Pointer(&d.rsa))
		port := netPort(&pp.Port)
		if last, ok := d.last.(*unix.SockaddrInet6); ok && last.Port == port && last.Addr == pp.Addr && last.ZoneId == pp.Scope_id {
			return last
		}
		sa := &unix.SockaddrInet6{Port: port, ZoneId: pp.Scope_id, Addr: pp.Addr}
		d.last = sa
		return sa
	case unix.AF_UNIX:
		return unixSockaddr(&d.rsa, namelen)
	}
	return nil
}

// unixSockaddr decodes the AF_UNIX address of namelen bytes in rsa; nil
// for an unnamed one.
func unixSockaddr(rsa *unix.RawSockaddrAny, namelen uint32) Sockaddr {
	pp := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
	// An unnamed socket's address is the family alone.
	n := int(namelen) - int(unsafe.Offsetof(pp.Path))
	if n <= 0 {
		return nil
	}
	n = min(n, len(pp.Path))
	path := unsafe.Slice((*byte)(unsafe.Pointer(&pp.Path[0])), n)
	if path[0] == 0 {
		// Abstract: the name is every byte of the length; '@' stands
		// for the leading NUL, as x/sys writes it.
		return &unix.SockaddrUnix{Name: "@" + string(path[1:])}
	}
	for i, c := range path {
		if c == 0 {
			path = path[:i]
			break
		}
	}
	return &unix.SockaddrUnix{Name: string(path)}
}

// netPort reads a port stored in network byte order.
func netPort(p *uint16) int {
	b := (*[2]byte)(unsafe.Pointer(p))
	return int(b[0])<<8 | int(b[1])
}
