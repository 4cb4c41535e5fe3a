//go:build (linux && race) || darwin || freebsd || netbsd || openbsd || dragonfly

package poll

import "golang.org/x/sys/unix"

// SysRead is read(2) on a non-blocking fd (see sysio_raw.go for Linux's).
func SysRead(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// SysWrite is write(2) on a non-blocking fd.
func SysWrite(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
