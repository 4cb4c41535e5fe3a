package aio

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysPipe makes a close-on-exec pipe in one call. Both ends stay blocking:
// the child's must be, and the parent's is made non-blocking when the
// poller adopts it.
func sysPipe(p []int) error { return unix.Pipe2(p, unix.O_CLOEXEC) }

// sysProcAttr asks the fork for the child's pidfd (Linux 5.3 and later;
// *pidfd stays -1 on older kernels).
func sysProcAttr(pidfd *int) *syscall.SysProcAttr {
	if noPidfd {
		return &syscall.SysProcAttr{}
	}
	return &syscall.SysProcAttr{PidFD: pidfd}
}

// noPidfd makes children start without a pidfd, for the tests of the
// fallback reaper.
var noPidfd = false

// sendSignal signals the child through its pidfd when it has one, which
// cannot reach a process that reused its pid.
func sendSignal(pid, pidfd int, sig syscall.Signal) error {
	if pidfd >= 0 {
		return unix.PidfdSendSignal(pidfd, sig, nil, 0)
	}
	return syscall.Kill(pid, sig)
}

// blockUntilExited blocks until the child has exited. With a pidfd it
// polls it, and without one it waits with WNOWAIT, so that either way the
// child is still unreaped (reaped false) and the caller reaps it holding
// the Process's lock: Signal never races a reap.
func blockUntilExited(pid, pidfd int) (code int, reaped bool) {
	if pidfd >= 0 {
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				return 0, false
			}
		}
	}
	var info unix.Siginfo
	for {
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != unix.EINTR {
			return 0, false
		}
	}
}
