//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package aio

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysPipe makes a close-on-exec pipe. Not every system here has pipe2, so
// the flag is set after the call under syscall.ForkLock, as Go's os
// package does, so that no fork in between inherits the fds.
func sysPipe(p []int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(p); err != nil {
		return err
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	return nil
}

// sysProcAttr: there is no pidfd here; children are reaped by a goroutine.
func sysProcAttr(*int) *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

func sendSignal(pid, _ int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }

// blockUntilExited reaps the child, blocking in wait4. A Signal made in
// the instant between this reap and the Process recording it would reach
// the pid after its release: the race Go's os.Process has where it lacks
// pidfds.
func blockUntilExited(pid, _ int) (code int, reaped bool) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 255, true
		}
		return returnCode(ws), true
	}
}
