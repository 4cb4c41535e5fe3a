//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package poll

import "golang.org/x/sys/unix"

// recvmsg receives one datagram into p with the sender's address.
func (d *dgram) recvmsg(fd int, p []byte) (n, flags int, from Sockaddr, err error) {
	n, _, flags, from, err = unix.Recvmsg(fd, p, nil, 0)
	return n, flags, from, err
}
