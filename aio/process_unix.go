//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// startProcess starts a child on the loop's goroutine: the parent's pipe
// ends are on the poller before the fork, so that a failure after it
// cannot leave a running child without its streams.
func (l *Loop) startProcess(ctx context.Context, name string, args []string, cfg *procConfig) (*Process, error) {
	path := name
	if !strings.Contains(name, "/") {
		lp, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("aio: StartProcess: %w", err)
		}
		path = lp
	}
	poller, err := l.poller()
	if err != nil {
		return nil, err
	}
	var (
		files   [3]uintptr
		later   []int // the child's ends and /dev/null: closed once the child has them
		trs     [3]*pipeTransport
		streams [3]*Stream
		devNull = -1
	)
	defer func() {
		for _, fd := range later {
			unix.Close(fd)
		}
	}()
	fail := func(err error) (*Process, error) {
		for _, tr := range trs {
			if tr != nil {
				tr.Abort()
			}
		}
		return nil, err
	}
	for i, s := range cfg.stdio {
		switch s.kind {
		case stdioInherit:
			files[i] = uintptr(i)
		case stdioFile:
			files[i] = s.f.Fd()
		case stdioStdout:
			files[i] = files[1]
		case stdioDevNull:
			if devNull < 0 {
				if devNull, err = unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0); err != nil {
					return fail(fmt.Errorf("aio: StartProcess(%q): opening %s: %w", name, os.DevNull, err))
				}
				later = append(later, devNull)
			}
			files[i] = uintptr(devNull)
		case stdioPipe:
			var fds [2]int
			if err := sysPipe(fds[:]); err != nil {
				return fail(fmt.Errorf("aio: StartProcess(%q): a pipe for %s: %w", name, stdioNames[i], os.NewSyscallError("pipe", err)))
			}
			parent, child, kind := fds[0], fds[1], pipeReader
			if i == 0 {
				parent, child, kind = fds[1], fds[0], pipeWriter
			}
			later = append(later, child)
			files[i] = uintptr(child)
			s, proto := newStream(l, cfg.stream...)
			tr, err := newPipeTransport(l, poller, parent, kind, proto)
			if err != nil {
				unix.Close(parent)
				return fail(fmt.Errorf("aio: StartProcess(%q): %w", name, err))
			}
			trs[i], streams[i] = tr, s
		}
	}
	env := cfg.env
	if !cfg.envSet {
		env = os.Environ()
	}
	pidfd := -1
	attr := &syscall.ProcAttr{Dir: cfg.dir, Env: env, Files: files[:], Sys: sysProcAttr(&pidfd)}
	pid, err := syscall.ForkExec(path, append([]string{name}, args...), attr)
	for _, s := range cfg.stdio {
		runtime.KeepAlive(s.f) // its fd was lent to the fork
	}
	if err != nil {
		if cfg.dir != "" {
			return fail(fmt.Errorf("aio: StartProcess(%q) in %s: %w", name, cfg.dir, &fs.PathError{Op: "fork/exec", Path: path, Err: err}))
		}
		return fail(fmt.Errorf("aio: StartProcess(%q): %w", name, &fs.PathError{Op: "fork/exec", Path: path, Err: err}))
	}
	p := &Process{l: l, pid: pid, pidfd: pidfd, stdin: streams[0], stdout: streams[1], stderr: streams[2]}
	for _, tr := range trs {
		if tr != nil {
			tr.start()
		}
	}
	l.watchProc(p)
	if cfg.killOnDone {
		p.mu.Lock()
		if !p.reaped {
			p.stopKill = context.AfterFunc(ctx, func() { _ = p.Kill() })
		}
		p.mu.Unlock()
	}
	return p, nil
}

// watchProc starts watching a new child for its exit: its pidfd on the
// poller where there is one, else a goroutine.
func (l *Loop) watchProc(p *Process) {
	if p.pidfd >= 0 {
		if err := l.addWatch("StartProcess", p.pidfd, p.onExit, false); err == nil {
			if l.children.procs == nil {
				l.children.procs = map[*Process]struct{}{}
			}
			l.children.procs[p] = struct{}{}
			return
		}
	}
	l.ioWaitBegin() // as a watched pidfd would
	go func() {
		p.reapBlocking()
		l.ioWaitEnd()
	}()
}

// onExit is the pidfd's reader: the child has exited (or the wake-up is
// spurious, and it waits on).
func (p *Process) onExit() {
	p.mu.Lock()
	code, ok := reapNow(p.pid)
	if !ok {
		p.mu.Unlock()
		return
	}
	p.finishLocked(code)
	fd := p.pidfd
	p.pidfd = -1
	p.mu.Unlock()
	p.l.removeWatch(fd, false)
	unix.Close(fd)
	p.l.forgetProc(p)
	p.exited.Set()
}

// reapAfterClose hands a child whose loop closed to a goroutine.
func (p *Process) reapAfterClose() {
	p.mu.Lock()
	done := p.reaped
	p.mu.Unlock()
	if !done {
		go p.reapBlocking()
	}
}

// reapBlocking waits for the child to exit, on a goroutine of its own, and
// reaps it.
func (p *Process) reapBlocking() {
	p.mu.Lock()
	pidfd := p.pidfd // the poller no longer has it: only Signal reads it now
	p.mu.Unlock()
	code, reaped := blockUntilExited(p.pid, pidfd)
	p.mu.Lock()
	if !p.reaped {
		if !reaped {
			code, _ = reapNow(p.pid)
		}
		p.finishLocked(code)
	}
	fd := p.pidfd
	p.pidfd = -1
	p.mu.Unlock()
	if fd >= 0 {
		unix.Close(fd)
	}
	p.exited.Set()
}

// reapNow reaps pid if it has exited, without waiting, and returns its
// return code (see ReturnCode); ok is false while it runs.
func reapNow(pid int) (code int, ok bool) {
	var ws syscall.WaitStatus
	for {
		wpid, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 255, true // reaped by someone else (ECHILD): asyncio's 255
		case wpid == 0:
			return 0, false
		}
		return returnCode(ws), true
	}
}

// returnCode is Python's returncode for a wait status.
func returnCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return -int(ws.Signal())
	}
	return ws.ExitStatus()
}
