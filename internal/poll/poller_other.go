//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package poll

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// This file is the fallback for systems with no backend here (Windows,
// Plan 9, js, wasip1, Solaris, AIX...): the Poller supports Wake and
// timeouts, so a loop can use it unconditionally, and refuses fds with
// errors.ErrUnsupported. It is the place for a portable backend built on
// Go's net package, whose goroutines would block in net.Conn calls and
// hand their completions to Poll through a queue and Wake; or, on Windows,
// for an IOCP backend, which is completion-based and fits FD's API as an
// io_uring one would.

// Sockaddr is a socket address. The fallback has no sockets; a portable
// backend would carry net.Addr values here.
type Sockaddr interface{}

// errUnsupported refuses fds on this system.
var errUnsupported = fmt.Errorf("poll: fds are not supported on this system: %w", errors.ErrUnsupported)

// Poller waits for a Wake or a timeout: the fallback's poller, with no fd
// support (see the package doc). Wake may be called from any goroutine;
// everything else from the polling goroutine.
type Poller struct {
	wake       chan struct{}
	wakeWrites atomic.Int64
	closed     atomic.Bool
	polling    bool
	woke       bool // the last Poll consumed a Wake
	timer      *time.Timer
}

// New returns a Poller.
func New() (*Poller, error) { return &Poller{wake: make(chan struct{}, 1)}, nil }

// Wake makes the current or next Poll return without waiting for its
// timeout. Any goroutine, any number of times (coalesced: one pending
// wake-up at most), never blocks; after Close it does nothing.
func (p *Poller) Wake() {
	if p.closed.Load() {
		return
	}
	select {
	case p.wake <- struct{}{}:
		p.wakeWrites.Add(1)
	default:
	}
}

// Poll waits for a Wake or the timeout (negative: no limit; 0: no wait)
// and returns 0: the fallback has no callbacks to run. It never returns
// before the timeout unless woken. Polling goroutine only.
func (p *Poller) Poll(timeout time.Duration) (int, error) {
	if p.closed.Load() {
		return 0, errPollerClosed
	}
	if p.polling {
		return 0, errReentrant
	}
	p.woke = false
	switch {
	case timeout == 0:
		select {
		case <-p.wake:
			p.woke = true
		default:
		}
	case timeout < 0:
		<-p.wake
		p.woke = true
	default:
		if p.timer == nil {
			p.timer = time.NewTimer(timeout)
		} else {
			p.timer.Reset(timeout)
		}
		select {
		case <-p.wake:
			p.timer.Stop()
			p.woke = true
		case <-p.timer.C:
		}
	}
	return 0, nil
}

// Woken reports whether the last Poll consumed a Wake. Polling goroutine
// only.
func (p *Poller) Woken() bool { return p.woke }

// Close releases the poller; a closed poller's Poll fails with an error
// matching net.ErrClosed. Polling goroutine only.
func (p *Poller) Close() error {
	p.closed.Store(true)
	return nil
}

// Register fails with an error matching errors.ErrUnsupported.
func (p *Poller) Register(fd int) (*FD, error) { return nil, errUnsupported }

// Socket fails with an error matching errors.ErrUnsupported.
func (p *Poller) Socket(domain, typ, proto int) (*FD, error) { return nil, errUnsupported }

// AddReader fails with an error matching errors.ErrUnsupported.
func (p *Poller) AddReader(fd int, fn func()) error { return errUnsupported }

// AddWriter fails with an error matching errors.ErrUnsupported.
func (p *Poller) AddWriter(fd int, fn func()) error { return errUnsupported }

// RemoveReader reports false: nothing can be registered.
func (p *Poller) RemoveReader(fd int) bool { return false }

// RemoveWriter reports false: nothing can be registered.
func (p *Poller) RemoveWriter(fd int) bool { return false }

// FD is the fd handle of the other backends; the fallback never makes one,
// and each method fails with an error matching errors.ErrUnsupported.
type FD struct{}

// Fd returns -1.
func (f *FD) Fd() int { return -1 }

// StartRead fails with an error matching errors.ErrUnsupported.
func (f *FD) StartRead(r Reader) error { return errUnsupported }

// StopRead does nothing.
func (f *FD) StopRead() {}

// Write fails with an error matching errors.ErrUnsupported.
func (f *FD) Write(bufs [][]byte, done Writer) error { return errUnsupported }

// WriteProgress is 0: no Write starts.
func (f *FD) WriteProgress() int { return 0 }

// Accept fails with an error matching errors.ErrUnsupported.
func (f *FD) Accept(done func(c *FD, sa Sockaddr, err error)) error { return errUnsupported }

// Connect fails with an error matching errors.ErrUnsupported.
func (f *FD) Connect(sa Sockaddr, done func(err error)) error { return errUnsupported }

// Close fails with an error matching errors.ErrUnsupported.
func (f *FD) Close() error { return errUnsupported }
