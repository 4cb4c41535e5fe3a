//go:build linux || darwin || openbsd

package poll

import "golang.org/x/sys/unix"

func writev(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) }
