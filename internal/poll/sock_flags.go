//go:build linux || freebsd

package poll

import "golang.org/x/sys/unix"

// sysSocket creates a socket non-blocking and close-on-exec in one call,
// so that no fork between two calls can inherit it.
func sysSocket(domain, typ, proto int) (int, error) {
	return unix.Socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
}

// acceptAlloc accepts a connection non-blocking and close-on-exec, the
// peer's address in a new Sockaddr.
func acceptAlloc(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
