package poll

import (
	"encoding/binary"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// sysPoller is the epoll backend: one epoll instance, and an eventfd for
// Wake.
//
// Owned fds are registered once, edge-triggered for both directions
// (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), and never modified: starting and
// stopping operations costs no epoll_ctl. Raw readiness fds are
// level-triggered with exactly the directions asked for, changed with
// EPOLL_CTL_MOD as callbacks come and go, as CPython's selector does.
// Each registration carries its generation in the event's spare 32 bits.
type sysPoller struct {
	epfd int
	efd  int
	evs  [maxEvents]unix.EpollEvent
}

// wakeValue is what Wake adds to the eventfd's counter: 1, in the host's
// byte order as eventfd wants it.
var wakeValue = binary.NativeEndian.AppendUint64(nil, 1)

func (s *sysPoller) open() error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return os.NewSyscallError("eventfd", err)
	}
	// Level-triggered: the counter stays readable until Poll drains it.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		unix.Close(efd)
		unix.Close(epfd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	s.epfd, s.efd = epfd, efd
	return nil
}

func (s *sysPoller) close() error {
	err := unix.Close(s.efd)
	if err2 := unix.Close(s.epfd); err == nil {
		err = err2
	}
	return os.NewSyscallError("close", err)
}

func (s *sysPoller) wake() {
	// EAGAIN means the counter is full, so a wake-up is pending anyway.
	unix.Write(s.efd, wakeValue)
}

func (s *sysPoller) drain() {
	var b [8]byte
	unix.Read(s.efd, b[:])
}

func (s *sysPoller) addOwned(fd int, gen uint32) error {
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     int32(fd),
		Pad:    int32(gen),
	}
	return os.NewSyscallError("epoll_ctl", unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev))
}

func (s *sysPoller) delOwned(fd int) {
	// Closing the fd would drop it too, unless it was duplicated; the
	// generation check covers a report that is already on its way.
	unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// setRaw changes a raw fd's level-triggered interest from was to now
// (evRead|evWrite bits).
func (s *sysPoller) setRaw(fd int, gen uint32, was, now uint8) error {
	if now == 0 {
		return os.NewSyscallError("epoll_ctl", unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, fd, nil))
	}
	ev := unix.EpollEvent{Fd: int32(fd), Pad: int32(gen)}
	if now&evRead != 0 {
		ev.Events |= unix.EPOLLIN
	}
	if now&evWrite != 0 {
		ev.Events |= unix.EPOLLOUT
	}
	op := unix.EPOLL_CTL_MOD
	if was == 0 {
		op = unix.EPOLL_CTL_ADD
	}
	err := unix.EpollCtl(s.epfd, op, fd, &ev)
	if err == unix.ENOENT && op == unix.EPOLL_CTL_MOD {
		// The owner closed the fd without removing its callbacks and the
		// number came back: the kernel forgot the old one.
		err = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	}
	return os.NewSyscallError("epoll_ctl", err)
}

// wait makes one epoll_wait, d rounded up to whole milliseconds (negative:
// no limit), and appends what it reports to out. A signal's EINTR is no
// error: Poll waits again for what is left.
func (s *sysPoller) wait(d time.Duration, out []event) ([]event, error) {
	ms := -1
	if d >= 0 {
		ms = timeoutMillis(d)
	}
	n, err := unix.EpollWait(s.epfd, s.evs[:], ms)
	if err != nil {
		if err == unix.EINTR {
			return out, nil
		}
		return out, os.NewSyscallError("epoll_wait", err)
	}
	for _, ev := range s.evs[:n] {
		if ev.Fd == int32(s.efd) {
			out = append(out, event{fd: ev.Fd, bits: evWake})
			continue
		}
		var b uint8
		if ev.Events&unix.EPOLLIN != 0 {
			b |= evRead
		}
		if ev.Events&unix.EPOLLOUT != 0 {
			b |= evWrite
		}
		if ev.Events&unix.EPOLLRDHUP != 0 {
			b |= evRead | evRHup
		}
		if ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			// Both ways, as CPython's selector reports them: the next read
			// or write meets the error or the hang-up.
			b |= evRead | evWrite | evRHup | evWHup
		}
		out = append(out, event{fd: ev.Fd, gen: uint32(ev.Pad), bits: b})
	}
	return out, nil
}
