//go:build darwin || dragonfly || netbsd || openbsd

package poll

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysSocket creates a socket non-blocking and close-on-exec. macOS has no
// SOCK_NONBLOCK or SOCK_CLOEXEC, and golang.org/x/sys/unix has no accept4
// for the other systems here, so the flags are set after the call under
// syscall.ForkLock, as Go's net package does on macOS, so that no fork in
// between inherits the fd.
func sysSocket(domain, typ, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(domain, typ, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// acceptAlloc accepts a connection non-blocking and close-on-exec (see
// sysSocket), the peer's address in a new Sockaddr.
func acceptAlloc(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}
