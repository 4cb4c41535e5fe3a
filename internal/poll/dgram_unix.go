//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package poll

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrTruncated is what a datagram receive reports for a datagram longer
// than the buffer it was received into: the kernel kept only what fitted
// (MSG_TRUNC) and dropped the rest.
var ErrTruncated = errors.New("poll: datagram truncated: it was longer than the receive buffer")

// dgram is an FD's datagram operations: receives that carry the sender's
// address and sends that carry the recipient's, each with its own result.
// A stream's operations do not fit a datagram socket: a stream read stops
// at an error and a stream write's error is sticky, while a datagram
// socket reports an error (an ICMP port unreachable, a datagram too
// large) for one datagram and goes on.
type dgram struct {
	alloc func() []byte
	recv  func(buf []byte, n int, from Sockaddr, err error) // non-nil while receiving
	rbuf  []byte                                            // allocated for a receive that found nothing (EAGAIN)

	sendq []sendOp // queued sends, oldest first; sendq[shead:] to send
	shead int

	rsa  unix.RawSockaddrAny // recvmsg's address scratch (Linux)
	last Sockaddr            // the last sender reported (Linux)
}

// sendOp is one queued SendTo.
type sendOp struct {
	p    []byte
	sa   Sockaddr
	done func(err error)
}

// busy reports whether there is a receive or a send to run; nil-safe.
func (d *dgram) busy() bool {
	return d != nil && (d.recv != nil || d.shead < len(d.sendq))
}

func (f *FD) dgramState() *dgram {
	if f.dg == nil {
		f.dg = &dgram{}
	}
	return f.dg
}

// StartRecvFrom starts receiving datagrams (libuv's uv_udp_recv_start):
// whenever one arrives, alloc is called for a buffer, the datagram is
// received into it, and done(buf, n, from, nil) reports its length and
// its sender (nil where the socket gives none: an unnamed Unix socket).
// from may be the very value the previous report gave, when the sender is
// the same: treat it as read-only.
// An empty datagram is n == 0 with a nil error: there is no end of
// stream. A datagram longer than buf is delivered truncated, with n ==
// len(buf) and an error matching ErrTruncated.
//
// Unlike StartRead, an error ends nothing: done(buf, 0, nil, err) reports
// it (a connected socket's ICMP port unreachable is syscall.ECONNREFUSED)
// and receiving goes on, as asyncio's datagram transport passes errors to
// error_received. Receiving stops at StopRecv or Close; Close reports
// done(buf, 0, nil, err) with err matching net.ErrClosed.
//
// The rules of StartRead apply otherwise: a second call replaces alloc
// and done, nothing is received from inside the call, a nil function or a
// closed FD is refused, and the buffer ownership rule is the same.
func (f *FD) StartRecvFrom(alloc func() []byte, done func(buf []byte, n int, from Sockaddr, err error)) error {
	if f.closed {
		return errClosed
	}
	if alloc == nil || done == nil {
		return fmt.Errorf("poll: StartRecvFrom on fd %d with a nil function", f.fd)
	}
	d := f.dgramState()
	d.rbuf = nil
	d.alloc, d.recv = alloc, done
	if f.rready {
		f.p.enqueue(f)
	}
	return nil
}

// StopRecv stops receiving until StartRecvFrom: datagrams that arrive
// meanwhile wait in the kernel's buffer (which drops what does not fit,
// as it does for any datagram socket nobody reads). A lent buffer done
// did not report is the caller's again when it returns.
func (f *FD) StopRecv() {
	if d := f.dg; d != nil {
		d.alloc, d.recv, d.rbuf = nil, nil, nil
	}
}

// TrySendTo sends p as one datagram to sa, or to a connected socket's
// peer when sa is nil, if it can be sent now: with no SendTo queued and
// the socket writable it makes the syscall and reports (true, nil), or
// (true, err) with the system's error (EMSGSIZE for a datagram larger
// than the socket allows, ECONNREFUSED on a connected socket after an
// ICMP port unreachable). Otherwise (the socket's buffer is full, or
// queued sends must go first) it sends nothing and reports (false, nil):
// queue the datagram with SendTo. p is not kept. It reports (false, err)
// with err matching net.ErrClosed on a closed FD. A completion backend
// always reports false.
func (f *FD) TrySendTo(p []byte, sa Sockaddr) (sent bool, err error) {
	if f.closed {
		return false, errClosed
	}
	if d := f.dg; (d != nil && d.shead < len(d.sendq)) || !f.wready {
		return false, nil
	}
	if err := sendOnce(f.fd, p, sa); err != unix.EAGAIN {
		return true, err
	}
	f.wready, f.whup = false, false
	return false, nil
}

// SendTo queues p as one datagram to sa (nil: a connected socket's peer)
// and reports it with done(err) from a later Poll, once sent or failed
// (libuv's uv_udp_send). Queued sends go out in order as the socket takes
// them, each with its own result: an error fails its datagram only, not
// the ones after it, unlike a stream's Write. It returns an error, and
// done is never called, on a closed FD; done may be nil.
//
// Buffer ownership: p and sa are lent to the poller until done runs (or,
// with a nil done, until the send completes); the poller does not modify
// them.
func (f *FD) SendTo(p []byte, sa Sockaddr, done func(err error)) error {
	if f.closed {
		return errClosed
	}
	d := f.dgramState()
	d.sendq = append(d.sendq, sendOp{p: p, sa: sa, done: done})
	if f.wready {
		f.p.enqueue(f)
	}
	return nil
}

// sendOnce makes one send; EINTR is retried, EAGAIN returned bare, and any
// other error wrapped with the syscall's name.
func sendOnce(fd int, p []byte, sa Sockaddr) error {
	for {
		var err error
		if sa == nil {
			_, err = unix.Write(fd, p)
		} else {
			err = unix.Sendto(fd, p, 0, sa)
		}
		switch err {
		case nil, unix.EAGAIN:
			return err
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("sendto", err)
	}
}

// serviceDgram runs the sends the socket takes now and the receives that
// are due, within the per-Poll budget; it returns how many callbacks ran.
func (f *FD) serviceDgram() (ran int) {
	d := f.dg
	if d == nil {
		return 0
	}
	for k := 0; d.shead < len(d.sendq) && f.wready && !f.closed; k++ {
		if k == budget*4 {
			f.p.enqueue(f)
			break
		}
		op := d.sendq[d.shead]
		err := sendOnce(f.fd, op.p, op.sa)
		if err == unix.EAGAIN {
			f.wready, f.whup = false, false
			break
		}
		d.popSend()
		if op.done != nil {
			ran++
			op.done(err)
		}
	}
	for k := 0; d.recv != nil && f.rready && !f.closed; k++ {
		if k == budget {
			f.p.enqueue(f)
			break
		}
		buf := d.rbuf
		d.rbuf = nil
		if buf == nil {
			if buf = d.alloc(); f.closed || d.recv == nil {
				continue // alloc stopped or closed the FD: the buffer is back
			}
		}
		n, flags, from, err := d.recvmsg(f.fd, buf)
		switch {
		case err == unix.EAGAIN:
			f.rready, f.rhup = false, false
			d.rbuf = buf
			continue
		case err == unix.EINTR:
			d.rbuf = buf
			continue
		case err != nil:
			n, from, err = 0, nil, os.NewSyscallError("recvmsg", err)
		case flags&unix.MSG_TRUNC != 0:
			err = ErrTruncated
		}
		ran++
		d.recv(buf, n, from, err)
	}
	return ran
}

func (d *dgram) popSend() {
	d.sendq[d.shead] = sendOp{}
	d.shead++
	if d.shead == len(d.sendq) {
		d.sendq, d.shead = d.sendq[:0], 0
	} else if d.shead > 64 && d.shead > len(d.sendq)/2 {
		n := copy(d.sendq, d.sendq[d.shead:])
		clear(d.sendq[n:])
		d.sendq, d.shead = d.sendq[:n], 0
	}
}

// failDgram completes a closed FD's datagram operations, once each.
func (f *FD) failDgram() (ran int) {
	d := f.dg
	if d == nil {
		return 0
	}
	if d.recv != nil {
		done, buf := d.recv, d.rbuf
		f.StopRecv()
		ran++
		done(buf, 0, nil, errClosed)
	}
	for d.shead < len(d.sendq) {
		op := d.sendq[d.shead]
		d.popSend()
		if op.done != nil {
			ran++
			op.done(errClosed)
		}
	}
	return ran
}
