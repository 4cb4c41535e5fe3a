//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package aio

// fdInetAddr returns fd's local address, or its peer's (the zero inetAddr
// for an error or a family other than IP). Through x/sys here: raw system
// calls are Linux's only stable interface.
func fdInetAddr(fd int, peer bool) inetAddr { return inetAddrOf(fd, peer) }
