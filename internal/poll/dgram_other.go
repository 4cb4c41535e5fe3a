//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package poll

import "errors"

// ErrTruncated is what a datagram receive reports for a datagram longer
// than its buffer (see the Unix backends).
var ErrTruncated = errors.New("poll: datagram truncated: it was longer than the receive buffer")

// StartRecvFrom is refused: this system has no fd support.
func (f *FD) StartRecvFrom(alloc func() []byte, done func(buf []byte, n int, from Sockaddr, err error)) error {
	return errUnsupported
}

// StopRecv does nothing here.
func (f *FD) StopRecv() {}

// TrySendTo is refused: this system has no fd support.
func (f *FD) TrySendTo(p []byte, sa Sockaddr) (bool, error) { return false, errUnsupported }

// SendTo is refused: this system has no fd support.
func (f *FD) SendTo(p []byte, sa Sockaddr, done func(err error)) error { return errUnsupported }
