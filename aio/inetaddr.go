package aio

import (
	"net"
	"net/netip"
)

// inetAddr is an IP socket address held by value: what a transport keeps
// of its two ends, so that an idle connection holds no *net.TCPAddr (two
// objects each) and reading the addresses at connection time allocates
// nothing. LocalAddr and RemoteAddr build the net.Addr when asked.
type inetAddr struct {
	ip   [16]byte // IPv4 in the first 4 bytes
	zone uint32   // IPv6 scope: an interface index, 0 for none
	port uint16
	fam  uint8 // 4, 6, or 0 for no address (the system call failed)
}

// tcp returns the address as a new *net.TCPAddr, in the form Go's net
// package gives (a 16-byte IPv4-in-IPv6 IP for IPv4, the zone as the
// interface's name), or nil for no address.
func (a *inetAddr) tcp() net.Addr {
	switch a.fam {
	case 4:
		return &net.TCPAddr{IP: net.IPv4(a.ip[0], a.ip[1], a.ip[2], a.ip[3]), Port: int(a.port)}
	case 6:
		ta := &net.TCPAddr{IP: append(net.IP(nil), a.ip[:]...), Port: int(a.port)}
		if a.zone != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.zone)); err == nil {
				ta.Zone = ifi.Name
			}
		}
		return ta
	}
	return nil
}

// addrPort returns the address as a netip.AddrPort, an IPv4-mapped IPv6
// address unmapped (as net.IP prints it), without its zone; false for no
// address.
func (a *inetAddr) addrPort() (netip.AddrPort, bool) {
	switch a.fam {
	case 4:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(a.ip[:4])), a.port), true
	case 6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.ip).Unmap(), a.port), true
	}
	return netip.AddrPort{}, false
}
