package aio_test

import (
	"net"
	"slices"
	"sync/atomic"

	"github.com/duet-go/duet/aio"
)

// fakeAddr is a fake connection's address.
type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }

// fakeConn is one end of an in-memory connection driven by a loop: an
// aio.Transport whose bytes reach the other end's protocol through
// callbacks of the loop, at most chunk bytes a callback, so that reads see
// the data cut at chunk boundaries and interleaved with other work. What a
// Write buffers is what the peer has not taken yet, and the peer takes
// nothing while its reading is paused: a slow reader fills the writer's
// buffer, which crosses its watermarks as TCP's would. Every method is for
// the loop's goroutine, as Transport says.
type fakeConn struct {
	l      *aio.Loop
	proto  aio.Protocol
	peer   *fakeConn
	local  fakeAddr
	remote fakeAddr
	chunk  int

	wbuf        []byte // written, not yet taken by the peer
	high, low   int
	writePaused bool
	pumping     bool // a pump callback is scheduled
	eofReq      bool // WriteEOF: send the end once wbuf is empty
	eofSent     bool
	closing     bool // Close or Abort
	lost        bool // ConnectionLost was called
	reading     bool

	lostCalled atomic.Bool // for tests, from any goroutine
}

var _ aio.Transport = (*fakeConn)(nil)

// newFakePair connects two protocols; call it on the loop (from a task).
// It calls both ConnectionMade.
func newFakePair(l *aio.Loop, chunk int, pa, pb aio.Protocol) (a, b *fakeConn) {
	a = &fakeConn{l: l, proto: pa, local: "a", remote: "b", chunk: chunk, reading: true, high: 64 << 10, low: 16 << 10}
	b = &fakeConn{l: l, proto: pb, local: "b", remote: "a", chunk: chunk, reading: true, high: 64 << 10, low: 16 << 10}
	a.peer, b.peer = b, a
	pa.ConnectionMade(a)
	pb.ConnectionMade(b)
	return a, b
}

// streamPair makes two streams connected through fake transports; call it
// from a task of l.
func streamPair(l *aio.Loop, chunk int, opts ...aio.StreamOption) (sa, sb *aio.Stream, ta, tb *fakeConn) {
	sa, pa := aio.NewStreamForTest(l, opts...)
	sb, pb := aio.NewStreamForTest(l, opts...)
	ta, tb = newFakePair(l, chunk, pa, pb)
	return sa, sb, ta, tb
}

func (c *fakeConn) schedulePump() {
	if !c.pumping {
		c.pumping = true
		c.l.CallSoon(c.pump)
	}
}

// pump hands the peer one chunk, then the end of the stream or the close
// once everything is taken.
func (c *fakeConn) pump() {
	c.pumping = false
	if c.lost {
		return
	}
	p := c.peer
	if len(c.wbuf) > 0 {
		if p.lost || p.closing {
			c.wbuf = nil // the peer is gone: what it would not read is dropped
		} else {
			if !p.reading {
				return // ResumeReading pumps again
			}
			n := min(c.chunk, len(c.wbuf))
			data := slices.Clone(c.wbuf[:n])
			c.wbuf = c.wbuf[n:]
			p.proto.DataReceived(data)
			if c.writePaused && len(c.wbuf) <= c.low {
				c.writePaused = false
				if fc, ok := c.proto.(aio.FlowController); ok {
					fc.ResumeWriting()
				}
			}
			if len(c.wbuf) > 0 {
				c.schedulePump()
				return
			}
		}
	}
	if (c.eofReq || c.closing) && !c.eofSent {
		c.eofSent = true
		if !p.lost && !p.closing && !p.proto.EOFReceived() {
			p.Close()
		}
	}
	if c.closing {
		c.lose(nil)
	}
}

// lose calls ConnectionLost once.
func (c *fakeConn) lose(err error) {
	if c.lost {
		return
	}
	c.lost = true
	c.reading = false
	c.lostCalled.Store(true)
	c.proto.ConnectionLost(err)
}

// reset loses the connection with err on this side, as a reset would.
func (c *fakeConn) reset(err error) {
	c.closing = true
	c.wbuf = nil
	c.lose(err)
}

func (c *fakeConn) Write(p []byte) error {
	if c.closing || c.eofReq || c.lost {
		return net.ErrClosed
	}
	if len(p) == 0 {
		return nil
	}
	c.wbuf = append(c.wbuf, p...)
	if !c.writePaused && len(c.wbuf) > c.high {
		c.writePaused = true
		if fc, ok := c.proto.(aio.FlowController); ok {
			fc.PauseWriting()
		}
	}
	c.schedulePump()
	return nil
}

func (c *fakeConn) Writev(bufs [][]byte) error {
	for _, b := range bufs {
		if err := c.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (c *fakeConn) WriteEOF() error {
	if c.closing || c.lost {
		return net.ErrClosed
	}
	c.eofReq = true
	c.schedulePump()
	return nil
}

func (c *fakeConn) CanWriteEOF() bool { return true }

func (c *fakeConn) Close() error {
	if c.closing {
		return nil
	}
	c.closing = true
	c.reading = false
	c.schedulePump() // ConnectionLost comes from a callback, after Close returns
	return nil
}

func (c *fakeConn) Abort() {
	c.wbuf = nil
	c.closing = true
	c.l.CallSoon(func() { c.lose(net.ErrClosed) })
}

func (c *fakeConn) IsClosing() bool { return c.closing || c.lost }

func (c *fakeConn) PauseReading() { c.reading = false }

func (c *fakeConn) ResumeReading() {
	if c.closing || c.lost {
		return
	}
	c.reading = true
	c.peer.schedulePump()
}

func (c *fakeConn) IsReading() bool { return c.reading }

func (c *fakeConn) SetWriteBufferLimits(high, low int) {
	if high <= 0 {
		high = 64 << 10
	}
	if low < 0 {
		low = high / 4
	}
	c.high, c.low = high, low
}

func (c *fakeConn) WriteBufferSize() int { return len(c.wbuf) }
func (c *fakeConn) LocalAddr() net.Addr  { return c.local }
func (c *fakeConn) RemoteAddr() net.Addr { return c.remote }
