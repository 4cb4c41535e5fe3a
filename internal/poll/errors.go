package poll

import (
	"errors"
	"fmt"
	"net"
)

// ErrRegistered is matched (errors.Is) by the error of Register, Socket's
// registration, AddReader and AddWriter when the fd is already registered
// with the poller in the other role: an FD handle, or raw readiness
// callbacks. The error's text names the fd. Python's asyncio refuses the
// same thing ("File descriptor 7 is used by transport").
var ErrRegistered = errors.New("poll: fd is already registered with this poller")

// errRegistered names fd in an error matching ErrRegistered.
func errRegistered(fd int, as string) error {
	return fmt.Errorf("poll: fd %d is already registered with this poller (as %s): %w", fd, as, ErrRegistered)
}

// errClosed completes the operations of a closed FD and refuses new ones;
// it matches net.ErrClosed, as Go's own sockets do. One value, so that
// completing a thousand pending writes allocates nothing.
var errClosed = fmt.Errorf("poll: %w", net.ErrClosed)

// errPollerClosed refuses work on a closed Poller; it matches net.ErrClosed.
var errPollerClosed = fmt.Errorf("poll: poller is closed: %w", net.ErrClosed)

// errReentrant refuses Poll and Poller.Close from one of the poller's own
// callbacks: the callback runs inside Poll, whose state is mid-update.
var errReentrant = errors.New("poll: Poll or Close called from one of the poller's callbacks")
