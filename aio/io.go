package aio

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/poll"
)

// pollIdler is the loop's idler once the loop does I/O: one Poll of the
// loop's poller per idle call, which waits for readiness, a wake-up or the
// timeout together and runs the I/O callbacks that are due before it
// returns (see internal/poll). A loop starts with a chanIdler and moves to
// this one at its first I/O registration (Loop.poller): a loop that never
// does I/O keeps waking through a channel, which costs less than an
// eventfd write and an epoll_wait.
type pollIdler struct {
	mu *sync.Mutex // the loop's
	p  *poll.Poller
}

func (pi *pollIdler) idle(timeout time.Duration, _ time.Time) bool {
	d := timeout
	switch {
	case timeout == duet.NoTimeout:
		d = -1
	case timeout < 0:
		d = 0
	}
	// I/O callbacks run inside Poll; they schedule work through the loop,
	// which takes the mutex.
	pi.mu.Unlock()
	n, err := pi.p.Poll(d)
	pi.mu.Lock()
	return n > 0 || err != nil || pi.p.Woken()
}

func (pi *pollIdler) wake() { pi.p.Wake() }

// close closes the poller, whose pending operations complete (with
// net.ErrClosed) in callbacks that may schedule work: without the mutex.
func (pi *pollIdler) close() {
	pi.mu.Unlock()
	pi.p.Close()
	pi.mu.Lock()
}

// poller returns the loop's poller, making it, and making its idler the
// loop's, on first use. Loop goroutine only (see onLoop).
func (l *Loop) poller() (*poll.Poller, error) {
	if l.pl != nil {
		return l.pl, nil
	}
	p, err := poll.New()
	if err != nil {
		return nil, fmt.Errorf("aio: the loop's I/O poller could not start: %w", err)
	}
	pi := &pollIdler{mu: &l.mu, p: p}
	l.mu.Lock()
	if l.state.Load() == loopClosed {
		l.mu.Unlock()
		p.Close()
		return nil, errLoopClosed
	}
	var old idler
	if a, ok := l.idler.(*autojump); ok {
		old, a.inner = a.inner, pi
	} else {
		old, l.idler = l.idler, pi
	}
	// The loop is running this call, not idle: no wake-up is owed to the
	// old idler.
	old.close()
	l.mu.Unlock()
	l.pl = p
	return p, nil
}

var errNotOnLoop = errors.New("aio: raw fd callbacks are set from the loop's own goroutine: call AddReader, AddWriter, RemoveReader and RemoveWriter from a task or a callback of the loop (from another goroutine, schedule the call with CallSoon)")

// onLoop reports, as well as Go allows without goroutine identity, whether
// the caller is the loop's goroutine: l is running and the caller is a task
// or a callback of a running loop (coro.Inside). A call from a task of
// another loop passes the check; see AddReader.
func (l *Loop) onLoop() bool { return l.IsRunning() && insideLoop() }

type watchKey struct {
	fd     int
	writer bool
}

// AddReader makes the loop call fn whenever fd is readable, until
// RemoveReader (Python: loop.add_reader). It is level-triggered: fn should
// read, or it runs again in the next iteration. fn runs as a callback of
// the loop (a panic is reported through the exception handler, and the
// reader stays). A second AddReader for fd replaces fn.
//
// The fd stays the caller's: the loop never reads or closes it, nor makes
// it non-blocking (do that first, or fn may block the loop). Remove it
// before closing it, since the kernel forgets a closed fd and its number
// may be reused. A regular file, which epoll cannot watch, is refused with
// the system's error; so is an fd a loop transport already owns.
//
// Call it from a task or a callback of l: the loop's poller belongs to its
// goroutine (from elsewhere, schedule the call with CallSoon). A call from
// a plain goroutine, or while l is not running, is refused with an error
// that says so; a call from a task of another loop cannot be told apart
// and must not be made. A registered reader holds a virtual clock for the
// autojump threshold (see WithAutojumpThreshold).
func (l *Loop) AddReader(fd int, fn func()) error { return l.addWatch("AddReader", fd, fn, false) }

// AddWriter is AddReader for writability (Python: loop.add_writer).
func (l *Loop) AddWriter(fd int, fn func()) error { return l.addWatch("AddWriter", fd, fn, true) }

// RemoveReader stops the callback AddReader set for fd and reports whether
// there was one (Python: loop.remove_reader). It may be called from that
// callback. The same goroutine rule as AddReader applies: from elsewhere
// it does nothing and reports false.
func (l *Loop) RemoveReader(fd int) bool { return l.removeWatch(fd, false) }

// RemoveWriter is RemoveReader for AddWriter's callbacks (Python:
// loop.remove_writer).
func (l *Loop) RemoveWriter(fd int) bool { return l.removeWatch(fd, true) }

func (l *Loop) addWatch(call string, fd int, fn func(), writer bool) error {
	switch {
	case fn == nil:
		return fmt.Errorf("aio: %s(%d) with a nil function", call, fd)
	case fd < 0:
		return fmt.Errorf("aio: %s: invalid fd %d", call, fd)
	case l.IsClosed():
		return errLoopClosed
	case !l.onLoop():
		return errNotOnLoop
	}
	p, err := l.poller()
	if err != nil {
		return err
	}
	cb := func() { l.runCallback("Exception in I/O callback", fn) }
	if writer {
		err = p.AddWriter(fd, cb)
	} else {
		err = p.AddReader(fd, cb)
	}
	if errors.Is(err, poll.ErrRegistered) {
		return fmt.Errorf("aio: %s(%d): the fd is the socket of a transport or server of this loop, which does its I/O (%w): use the transport, or watch an fd of your own", call, fd, err)
	}
	if err != nil {
		return fmt.Errorf("aio: %s(%d): %w", call, fd, err)
	}
	k := watchKey{fd, writer}
	if _, ok := l.watches[k]; !ok {
		if l.watches == nil {
			l.watches = map[watchKey]struct{}{}
		}
		l.watches[k] = struct{}{}
		l.ioWaitBegin()
	}
	return nil
}

func (l *Loop) removeWatch(fd int, writer bool) bool {
	if l.pl == nil || !l.onLoop() {
		return false
	}
	var had bool
	if writer {
		had = l.pl.RemoveWriter(fd)
	} else {
		had = l.pl.RemoveReader(fd)
	}
	k := watchKey{fd, writer}
	if _, ok := l.watches[k]; ok {
		delete(l.watches, k)
		l.ioWaitEnd()
	}
	return had
}
