package aio

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// errWouldBlock is what the TLS pipe's Read returns, once the handshake is
// over, when it holds no received byte: crypto/tls keeps the record it has
// read so far and does not make the error sticky because it is a
// net.Error whose Temporary() is true (Conn.readRecordOrCCS, Go 1.26: "if
// e, ok := err.(net.Error); !ok || !e.Temporary() { c.in.setErrorLocked
// }"), the rule net/http relies on to resume a TLS read after a deadline.
// TestTLSConnResumesAfterTemporaryError pins it down.
var errWouldBlock error = wouldBlockError{}

type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "aio: no TLS bytes received for now" }
func (wouldBlockError) Timeout() bool   { return true }
func (wouldBlockError) Temporary() bool { return true }

// tlsPipe is the net.Conn a TLS transport's *tls.Conn reads and writes
// through: memory, not a socket. It has two modes.
//
// During the handshake, which runs on a goroutine of its own (crypto/tls
// makes a handshake's errors sticky, so it cannot be resumed after a
// would-block error, and its public-key work would hold the loop), Read
// blocks until the loop feeds bytes, the end of stream or a failure, and
// Write hands a copy of the records to the loop, which writes them to the
// raw transport in order.
//
// After it, everything runs on the loop: Read copies what the raw
// transport delivered (kept bytes first, then the lent slice of the
// DataReceived running now) and returns errWouldBlock when there is none;
// Write hands the records to the raw transport's Write at once.
type tlsPipe struct {
	t *tlsTransport

	mu       sync.Mutex
	cond     sync.Cond
	blocking bool   // the handshake's mode
	waiting  bool   // the handshake waits in Read: it does not hold the loop's clock
	in       []byte // received bytes, owned; in[r:] not yet taken
	r        int
	cur      []byte // after the handshake: the lent bytes of the raw DataReceived running now
	eof      bool   // the raw transport received the end of stream
	err      error  // the pipe is closed: Read fails with it
}

func newTLSPipe(t *tlsTransport) *tlsPipe {
	p := &tlsPipe{t: t, blocking: true}
	p.cond.L = &p.mu
	return p
}

// The handshake's goroutine holds the loop's clock (holdClock) while it
// computes, from its start until it has posted its result, so that a
// virtual clock does not jump past the handshake timeout meanwhile; while
// it waits for bytes in Read it lets go, and the I/O wait of the raw
// transport governs the clock as for any socket. The waker takes the hold
// back for it before waking it, so that no jump falls in between.

// wakeLocked wakes a Read waiting for the handshake, taking the clock's
// hold back for it.
func (p *tlsPipe) wakeLocked() {
	if p.waiting {
		p.waiting = false
		p.t.l.holdClock()
	}
	p.cond.Broadcast()
}

// feed keeps a copy of b, received during the handshake, and wakes the
// handshake's Read.
func (p *tlsPipe) feed(b []byte) {
	p.mu.Lock()
	p.appendLocked(b)
	p.wakeLocked()
	p.mu.Unlock()
}

// setEOF records the raw transport's end of stream.
func (p *tlsPipe) setEOF() {
	p.mu.Lock()
	p.eof = true
	p.wakeLocked()
	p.mu.Unlock()
}

// fail closes the pipe: Reads fail with err from now on (the first error
// stays), which ends a handshake waiting for bytes.
func (p *tlsPipe) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.wakeLocked()
	p.mu.Unlock()
}

// loopMode switches the pipe to the loop's mode, once the handshake's
// goroutine has returned.
func (p *tlsPipe) loopMode() {
	p.mu.Lock()
	p.blocking = false
	p.mu.Unlock()
}

// lend makes b, lent by the raw transport's DataReceived, the next bytes
// Read gives; keep must be called before that DataReceived returns.
func (p *tlsPipe) lend(b []byte) {
	p.mu.Lock()
	p.cur = b
	p.mu.Unlock()
}

// keep copies what is left of the lent bytes (the app protocol paused
// reading before crypto/tls took them all), since they are valid only
// during the raw DataReceived.
func (p *tlsPipe) keep() {
	p.mu.Lock()
	if len(p.cur) > 0 {
		p.appendLocked(p.cur)
	}
	p.cur = nil
	p.mu.Unlock()
}

// appendLocked keeps a copy of b after the bytes not yet taken, moving
// those to the front first when the taken ones are the larger part.
func (p *tlsPipe) appendLocked(b []byte) {
	if p.r > 0 && p.r >= len(p.in)/2 {
		p.in = p.in[:copy(p.in, p.in[p.r:])]
		p.r = 0
	}
	p.in = append(p.in, b...)
}

func (p *tlsPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blocking && p.r == len(p.in) && !p.eof && p.err == nil {
		p.waiting = true
		p.t.l.releaseClock()
		for p.waiting {
			p.cond.Wait()
		}
	}
	switch {
	case p.r < len(p.in):
		n := copy(b, p.in[p.r:])
		p.r += n
		if p.r == len(p.in) {
			p.in, p.r = p.in[:0], 0
		}
		return n, nil
	case len(p.cur) > 0:
		n := copy(b, p.cur)
		p.cur = p.cur[n:]
		return n, nil
	case p.err != nil:
		return 0, p.err
	case p.eof:
		return 0, io.EOF
	}
	return 0, errWouldBlock
}

func (p *tlsPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	blocking, err := p.blocking, p.err
	p.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if !blocking {
		if err := p.t.raw.Write(b); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	// The handshake's goroutine: the loop writes, in the order posted
	// (the handshake's result is posted after its last write).
	c := append([]byte(nil), b...)
	t := p.t
	if _, err := t.l.CallSoon(func() {
		if !t.lost {
			t.raw.Write(c) // a failure loses the raw transport, which tells us
		}
	}); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close is crypto/tls's, when a handshake is interrupted or the Conn is
// closed: the TLS transport closes the raw transport itself, so this only
// ends the pipe.
func (p *tlsPipe) Close() error {
	p.fail(net.ErrClosed)
	return nil
}

func (p *tlsPipe) LocalAddr() net.Addr  { return p.t.raw.LocalAddr() }
func (p *tlsPipe) RemoteAddr() net.Addr { return p.t.raw.RemoteAddr() }

// Deadlines are the loop's business (the handshake timeout, the shutdown
// timeout); crypto/tls sets a write deadline around close_notify, which
// here never blocks.
func (p *tlsPipe) SetDeadline(time.Time) error      { return nil }
func (p *tlsPipe) SetReadDeadline(time.Time) error  { return nil }
func (p *tlsPipe) SetWriteDeadline(time.Time) error { return nil }

var _ net.Conn = (*tlsPipe)(nil)

func isWouldBlock(err error) bool { return errors.Is(err, errWouldBlock) }
