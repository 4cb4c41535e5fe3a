package poll

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// epollPark is how a Poll that must wait waits: its goroutine parks on Go's
// own netpoller, which watches the poller's epoll fd (an epoll fd is
// readable while it has events), instead of blocking its thread in
// epoll_wait.
//
// Why: a goroutine blocked in a system call keeps its P until sysmon
// notices (20 us to 10 ms later), takes the P away and wakes another
// thread to run it; when the call returns, the goroutine must win a P
// back. With GOMAXPROCS=1 (a loop pinned to one CPU) every idle wait of
// the loop paid that hand-off: a futex wake of a thread that finds no
// work and sleeps again, sysmon polling every 20 us for a while after, and
// the scheduler's lock on the way back. Parked on the netpoller, the loop
// costs what any idle goroutine does: its thread sleeps in the runtime's
// epoll_wait with no P held, and other goroutines (ToThread's, a
// net.Conn view's) have the P meanwhile.
//
// The wait is checked first with a non-blocking epoll_wait, so a busy
// loop never parks; an event that arrives after that check is an edge
// the netpoller records (the runtime registers fds edge-triggered, and
// each event added to our epoll's ready list wakes its pollers), so
// nothing is lost between the check and the park.
type epollPark struct {
	file *os.File        // owns the epoll fd; closed by close
	rc   syscall.RawConn // nil where the netpoller cannot watch it: then waits block
	n    int             // the last check's result, for ready
	err  error
	s    *sysPoller
	// ready is the RawConn.Read callback, made once so that a wait
	// allocates nothing.
	ready func(uintptr) bool
}

// init adopts epfd, which from then on is closed by close.
func (pk *epollPark) init(s *sysPoller, epfd int) {
	pk.s = s
	pk.ready = func(uintptr) bool {
		pk.n, pk.err = pk.s.epollNow()
		return pk.n > 0 || pk.err != nil
	}
	// os.NewFile hands a non-blocking fd to the netpoller (it stays
	// close-on-exec); a deadline is refused on a file it does not watch.
	nb := unix.SetNonblock(epfd, true) == nil
	pk.file = os.NewFile(uintptr(epfd), "duet-epoll")
	if nb && pk.file.SetReadDeadline(time.Time{}) == nil {
		pk.rc, _ = pk.file.SyscallConn()
	}
}

// wait waits up to d (negative: without limit) for the epoll fd to have
// events and collects them into s.evs, returning how many.
func (pk *epollPark) wait(d time.Duration) (int, error) {
	if pk.rc == nil {
		ms := -1
		if d >= 0 {
			ms = timeoutMillis(d)
		}
		return unix.EpollWait(pk.s.epfd, pk.s.evs[:], ms)
	}
	var dl time.Time
	if d > 0 {
		// Whole milliseconds, rounded up, as epoll_wait's own timeout.
		dl = time.Now().Add(time.Duration(timeoutMillis(d)) * time.Millisecond)
	}
	if err := pk.file.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	pk.n, pk.err = 0, nil
	if err := pk.rc.Read(pk.ready); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		return 0, err
	}
	return pk.n, pk.err
}

func (pk *epollPark) close() error { return pk.file.Close() }
