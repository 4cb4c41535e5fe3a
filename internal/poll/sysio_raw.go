//go:build linux && !race

package poll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// SysRead and SysWrite are read(2) and write(2) on a non-blocking fd, the
// calls a loop makes once per message. Here they are raw system calls:
// unix.Read's Syscall brackets each call with the runtime's entersyscall
// and exitsyscall, which let another goroutine have the P while the call
// blocks, and a non-blocking call never blocks. On examples/echo at c=50
// that bracket was 2.7% of the server's CPU samples (perf record:
// exitsyscall 1.58%, reentersyscall 1.04%, entersyscall 0.06%), over a
// quarter of its user time; under callgrind, whose slow system calls let
// sysmon take the P far more often, 1,562 user-space instructions per
// request with it and 719 without. The error is the bare
// unix.Errno (unix.EAGAIN compares equal to it). A race build uses
// x/sys's, whose annotations tell the race detector of the kernel's
// reads and writes (sysio_plain.go).
func SysRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return unix.Read(fd, p)
	}
	return rawIO(unix.SYS_READ, fd, p)
}

// SysWrite: see SysRead.
func SysWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return unix.Write(fd, p)
	}
	return rawIO(unix.SYS_WRITE, fd, p)
}

// rawIO makes read(2) or write(2) of a non-empty p.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	n, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
