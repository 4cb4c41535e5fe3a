package aio

import (
	"bytes"
	"fmt"
	"io"
	"slices"
)

// IncompleteReadError is the error of a read that met the end of the
// stream before it could finish: ReadExactly before n bytes, ReadUntil
// before a separator. Partial holds the bytes that were read (and are no
// longer buffered); Expected is the count ReadExactly wanted, or -1 for
// ReadUntil. It matches io.ErrUnexpectedEOF. Python:
// asyncio.IncompleteReadError.
type IncompleteReadError struct {
	Partial  []byte
	Expected int
}

// Error says how many bytes were read of how many expected.
func (e *IncompleteReadError) Error() string {
	if e.Expected < 0 {
		return fmt.Sprintf("aio: end of stream after %d bytes, before a separator", len(e.Partial))
	}
	return fmt.Sprintf("aio: end of stream after %d of %d bytes", len(e.Partial), e.Expected)
}

// Is reports whether target is io.ErrUnexpectedEOF.
func (e *IncompleteReadError) Is(target error) bool { return target == io.ErrUnexpectedEOF }

// LimitOverrunError is the error of a ReadUntil or ReadLine whose
// separator does not start within the stream's limit. For ReadUntil the
// data stays buffered, so it can be read otherwise (Read, ReadExactly);
// Consumed is how many bytes at its front can be taken without cutting a
// separator (Limit+1: no separator starts before that). Raise the limit
// with WithLimit if longer chunks are legitimate. Python:
// asyncio.LimitOverrunError (readline raises ValueError instead).
type LimitOverrunError struct {
	Limit    int
	Consumed int
}

// Error names the limit and how to raise it.
func (e *LimitOverrunError) Error() string {
	return fmt.Sprintf("aio: no separator within the stream's limit of %d bytes (raise the limit with aio.WithLimit if longer chunks are expected)", e.Limit)
}

// recvBuf is a stream's receive buffer: bytes fed by the transport,
// taken by the read methods. It holds memory only while it holds unread
// bytes, or up to keepRecvCap once drained by a copy (ReadInto): a read
// that takes every byte of its memory takes the memory itself rather
// than a copy, and the next feed allocates anew; so a connection that
// never received keeps no buffer, and an idle one little. Each try
// method either completes (ok) or says it needs more bytes; the stream
// waits for the next feed and tries again with the same scan state.
// Every slice a try method returns is the caller's own: the buffer
// never hands out memory it will write again. The result of a sequence
// of reads depends only on the bytes fed and where the end of the
// stream is, not on how the bytes were chunked (read up to n, whose
// size is what has arrived, aside).
type recvBuf struct {
	data     []byte // unread bytes are data[r:]
	r        int
	limit    int // the stream's (WithLimit)
	eof      bool
	skipping bool // ReadLine is discarding the rest of an over-long line
}

func (b *recvBuf) unread() []byte { return b.data[b.r:] }

// feed appends p (copied: the transport reuses its buffer).
func (b *recvBuf) feed(p []byte) {
	if b.r > 0 && b.r >= len(b.data)/2 {
		n := copy(b.data, b.data[b.r:])
		b.data = b.data[:n]
		b.r = 0
	}
	b.data = append(b.data, p...)
}

func (b *recvBuf) feedEOF() { b.eof = true }

// take removes and returns the first n unread bytes: the buffer's own
// memory when they are all of it (it is the caller's from then on), else
// a copy.
func (b *recvBuf) take(n int) []byte {
	if b.r == 0 && n == len(b.data) {
		out := b.data
		b.data = nil
		return out
	}
	out := slices.Clone(b.data[b.r : b.r+n])
	b.consumed(n)
	return out
}

// keepRecvCap is the most memory a drained receive buffer keeps for the
// next bytes: a connection of small messages read with ReadInto then
// allocates nothing per message, and an idle one holds at most this much
// (none if it never received, or if its last read took the memory).
const keepRecvCap = 1 << 10

// consumed drops n unread bytes; memory left with none is kept when small
// (keepRecvCap), else released.
func (b *recvBuf) consumed(n int) {
	b.r += n
	if b.r == len(b.data) {
		if cap(b.data) <= keepRecvCap {
			b.data, b.r = b.data[:0], 0
		} else {
			b.data, b.r = nil, 0
		}
	}
}

// tryRead takes up to n bytes as soon as any are buffered (Python:
// read(n)); at the end of the stream it gives nil, ok.
func (b *recvBuf) tryRead(n int) (p []byte, ok bool) {
	u := len(b.unread())
	switch {
	case n <= 0:
		return []byte{}, true
	case u > 0:
		return b.take(min(n, u)), true
	case b.eof:
		return nil, true
	}
	return nil, false
}

// tryReadExactly takes exactly n bytes, or at the end of the stream all
// that is left with an *IncompleteReadError.
func (b *recvBuf) tryReadExactly(n int) (p []byte, err error, ok bool) {
	u := len(b.unread())
	switch {
	case n <= 0:
		return []byte{}, nil, true
	case u >= n:
		return b.take(n), nil, true
	case b.eof:
		return nil, &IncompleteReadError{Partial: b.take(u), Expected: n}, true
	}
	return nil, nil, false
}

// tryReadUntil takes the bytes up to and including the first separator to
// end (the shortest result when several could: Python 3.13's tuple of
// separators). *scan is how far the unread bytes are known to hold no
// separator start; the caller keeps it across tries of one read. Errors:
// *LimitOverrunError when no separator can start within the limit (the
// bytes stay buffered), *IncompleteReadError at the end of the stream
// (with every byte left).
func (b *recvBuf) tryReadUntil(seps [][]byte, scan *int) (p []byte, err error, ok bool) {
	u := b.unread()
	minLen, maxLen := len(seps[0]), len(seps[0])
	for _, s := range seps[1:] {
		minLen, maxLen = min(minLen, len(s)), max(maxLen, len(s))
	}
	if len(u)-*scan >= minLen {
		end := -1
		for _, s := range seps {
			if i := bytes.Index(u[*scan:], s); i >= 0 {
				if e := *scan + i + len(s); end < 0 || e < end {
					end = e
				}
			}
		}
		if end >= 0 {
			// The separator that matched, for the limit, is the shortest
			// of those ending there (as in Python 3.13).
			start := end - shortestEnding(u[:end], seps)
			if start > b.limit {
				return nil, &LimitOverrunError{Limit: b.limit, Consumed: b.limit + 1}, true
			}
			return b.take(end), nil, true
		}
		*scan = max(0, len(u)+1-maxLen)
	}
	if *scan > b.limit {
		return nil, &LimitOverrunError{Limit: b.limit, Consumed: b.limit + 1}, true
	}
	if b.eof {
		return nil, &IncompleteReadError{Partial: b.take(len(u)), Expected: -1}, true
	}
	return nil, nil, false
}

// shortestEnding returns the length of the shortest separator that u ends
// with (u is known to end with at least one).
func shortestEnding(u []byte, seps [][]byte) int {
	n := -1
	for _, s := range seps {
		if bytes.HasSuffix(u, s) && (n < 0 || len(s) < n) {
			n = len(s)
		}
	}
	return n
}

var newline = [][]byte{{'\n'}}

// tryReadLine takes a line, newline included (Python: readline). At the
// end of the stream it gives what is left, maybe empty, without error. A
// line whose newline is not within the limit gives a *LimitOverrunError
// and is skipped whole, however its bytes arrive: the next ReadLine gives
// the line after it. (asyncio's readline drops only what it has buffered,
// so where its next line starts depends on how the bytes arrived.)
func (b *recvBuf) tryReadLine(scan *int) (p []byte, err error, ok bool) {
	for b.skipping {
		u := b.unread()
		if i := bytes.IndexByte(u, '\n'); i >= 0 {
			b.take(i + 1)
			b.skipping = false
			*scan = 0
			break
		}
		b.take(len(u))
		if !b.eof {
			return nil, nil, false
		}
		b.skipping = false
	}
	p, err, ok = b.tryReadUntil(newline, scan)
	inc, isInc := err.(*IncompleteReadError) // tryReadUntil's own: not wrapped, and no allocation
	switch {
	case !ok:
		return nil, nil, false
	case isInc:
		return inc.Partial, nil, true
	case err != nil:
		b.skipping = true
		return nil, err, true
	}
	return p, nil, true
}
