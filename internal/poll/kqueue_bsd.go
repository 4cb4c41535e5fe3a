//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package poll

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sysPoller is the kqueue backend: one kqueue, and a non-blocking pipe for
// Wake (EVFILT_USER would save the pipe where it exists, but not every BSD
// has it, and the pipe's cost is paid only by the Wake that writes).
//
// Owned fds get EVFILT_READ and EVFILT_WRITE with EV_CLEAR (kqueue's edge
// trigger), once; closing the fd removes them. Raw readiness fds get the
// filters asked for without EV_CLEAR (level-triggered), added and deleted
// as callbacks come and go. kqueue events carry no generation here (udata's
// type differs across systems): a report for a reused fd number costs a
// read that finds EAGAIN, or one extra raw callback, as in CPython.
type sysPoller struct {
	kq     int
	rp, wp int // the wake-up pipe's ends
	evs    [maxEvents]unix.Kevent_t
}

func (s *sysPoller) open() error {
	syscall.ForkLock.RLock()
	kq, err := unix.Kqueue()
	if err == nil {
		unix.CloseOnExec(kq)
	}
	var p [2]int
	var perr error
	if err == nil {
		if perr = unix.Pipe(p[:]); perr == nil {
			unix.CloseOnExec(p[0])
			unix.CloseOnExec(p[1])
		}
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return os.NewSyscallError("kqueue", err)
	}
	if perr != nil {
		unix.Close(kq)
		return os.NewSyscallError("pipe", perr)
	}
	s.kq, s.rp, s.wp = kq, p[0], p[1]
	fail := func(call string, err error) error {
		s.close()
		return os.NewSyscallError(call, err)
	}
	if err := unix.SetNonblock(s.rp, true); err != nil {
		return fail("fcntl", err)
	}
	if err := unix.SetNonblock(s.wp, true); err != nil {
		return fail("fcntl", err)
	}
	if err := s.change(s.rp, unix.EVFILT_READ, unix.EV_ADD); err != nil {
		return fail("kevent", err)
	}
	return nil
}

func (s *sysPoller) change(fd, filter, flags int) error {
	var ch [1]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, filter, flags)
	_, err := unix.Kevent(s.kq, ch[:], nil, nil)
	return err
}

func (s *sysPoller) close() error {
	err := unix.Close(s.kq)
	unix.Close(s.rp)
	unix.Close(s.wp)
	return os.NewSyscallError("close", err)
}

func (s *sysPoller) wake() {
	// EAGAIN means the pipe is full, so a wake-up is pending anyway.
	unix.Write(s.wp, []byte{0})
}

func (s *sysPoller) drain() {
	var b [64]byte
	for {
		if n, err := unix.Read(s.rp, b[:]); n <= 0 || err != nil {
			return
		}
	}
}

func (s *sysPoller) addOwned(fd int, _ uint32) error {
	var ch [2]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	unix.SetKevent(&ch[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
	_, err := unix.Kevent(s.kq, ch[:], nil, nil)
	return os.NewSyscallError("kevent", err)
}

// delOwned does nothing: close(2) removes a descriptor's knotes.
func (s *sysPoller) delOwned(int) {}

// setRaw changes a raw fd's level-triggered filters from was to now.
func (s *sysPoller) setRaw(fd int, _ uint32, was, now uint8) error {
	var ch [2]unix.Kevent_t
	n := 0
	for _, d := range [2]struct {
		bit    uint8
		filter int
	}{{evRead, unix.EVFILT_READ}, {evWrite, unix.EVFILT_WRITE}} {
		switch {
		case was&d.bit == 0 && now&d.bit != 0:
			unix.SetKevent(&ch[n], fd, d.filter, unix.EV_ADD)
			n++
		case was&d.bit != 0 && now&d.bit == 0:
			unix.SetKevent(&ch[n], fd, d.filter, unix.EV_DELETE)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	_, err := unix.Kevent(s.kq, ch[:n], nil, nil)
	return os.NewSyscallError("kevent", err)
}

// wait makes one kevent call, d exact to the nanosecond (negative: no
// limit), and appends what it reports to out.
func (s *sysPoller) wait(d time.Duration, out []event) ([]event, error) {
	var ts *unix.Timespec
	if d >= 0 {
		t := unix.NsecToTimespec(int64(d))
		ts = &t
	}
	n, err := unix.Kevent(s.kq, nil, s.evs[:], ts)
	if err != nil {
		if err == unix.EINTR {
			return out, nil
		}
		return out, os.NewSyscallError("kevent", err)
	}
	for i := range n {
		ev := &s.evs[i]
		fd := int32(ev.Ident)
		if int(fd) == s.rp {
			out = append(out, event{fd: fd, bits: evWake})
			continue
		}
		var b uint8
		switch {
		case ev.Flags&unix.EV_ERROR != 0:
			b = evRead | evWrite | evRHup | evWHup
		case ev.Filter == unix.EVFILT_READ:
			b = evRead
			if ev.Flags&unix.EV_EOF != 0 {
				b |= evRHup
			}
		case ev.Filter == unix.EVFILT_WRITE:
			b = evWrite
			if ev.Flags&unix.EV_EOF != 0 {
				b |= evWHup
			}
		}
		out = append(out, event{fd: fd, bits: b})
	}
	return out, nil
}
