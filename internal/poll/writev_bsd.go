//go:build freebsd || netbsd || dragonfly

package poll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// writev is writev(2), which golang.org/x/sys/unix does not wrap on these
// systems.
func writev(fd int, bufs [][]byte) (int, error) {
	var small [8]unix.Iovec
	iov := small[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	n, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
