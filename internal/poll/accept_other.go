//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package poll

import "golang.org/x/sys/unix"

type acceptScratch struct{}

// accept accepts a connection on fd, non-blocking and close-on-exec, the
// peer's address in a new Sockaddr.
func (p *Poller) accept(fd int) (int, unix.Sockaddr, error) { return acceptAlloc(fd) }
