package aio

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// NetConn returns the stream as a net.Conn, for goroutine-side Go code:
// bufio, io.Copy, net/http, crypto/tls and the rest of the standard
// library run over it. Every call returns the same view.
//
// The view is for goroutines: its Read and Write block the calling
// goroutine, so a task that calls them blocks its whole loop (and, on the
// stream's own loop, waits for bytes that loop can then never deliver).
// Tasks use the Stream's methods.
//
// Read returns the bytes received as soon as there are any, 0 and io.EOF
// at the end of the stream. Write returns once p is buffered and the
// stream is drained (Write then Drain), which gives the writer the
// transport's back-pressure. Deadlines follow net.Conn: a deadline moved
// while a Read or Write waits applies to that wait, one in the past times
// out at once, and a timed-out call returns an error whose Timeout()
// reports true and that matches os.ErrDeadlineExceeded; a Read that
// times out takes no byte. A Write that times out while it drains has
// buffered all of p and says so (n == len(p)). Close closes the stream
// (Stream.Close) and ends the view's waiting calls with an error matching
// net.ErrClosed, as later calls do. CloseWrite half-closes
// (Stream.WriteEOF), as *net.TCPConn's does. Errors are *net.OpError values.
func (s *Stream) NetConn() net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.rareLocked()
	if o.conn == nil {
		o.conn = &streamConn{s: s}
	}
	return o.conn
}

// streamConn is the net.Conn view of a Stream.
type streamConn struct {
	s      *Stream
	rd, wd connDeadline
	closed atomic.Bool
}

var _ net.Conn = (*streamConn)(nil)

// errDeadlineMoved is the cause of a view's wait context cancelled because
// its deadline moved: the call waits again with the new one.
var errDeadlineMoved = errors.New("aio: the net.Conn view's deadline moved")

// connDeadline turns one of a net.Conn's deadlines into the context the
// view's waits run under. The context lasts until the deadline is moved
// (then it is cancelled with errDeadlineMoved, so that a waiting call
// picks up the new deadline) or the view is closed (net.ErrClosed).
type connDeadline struct {
	mu     sync.Mutex
	t      time.Time
	closed bool
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   context.CancelFunc // the deadline's timer
}

func (d *connDeadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	d.endLocked(errDeadlineMoved)
	d.mu.Unlock()
}

func (d *connDeadline) close() {
	d.mu.Lock()
	d.closed = true
	d.endLocked(net.ErrClosed)
	d.mu.Unlock()
}

func (d *connDeadline) endLocked(cause error) {
	if d.cancel != nil {
		d.cancel(cause)
		d.stop()
		d.ctx, d.cancel, d.stop = nil, nil, nil
	}
}

// context returns the context to wait under, or the error of a call that
// must not wait: the view is closed, or the deadline has passed.
func (d *connDeadline) context() (context.Context, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return nil, net.ErrClosed
	case !d.t.IsZero() && !time.Now().Before(d.t):
		return nil, os.ErrDeadlineExceeded
	}
	if d.ctx == nil {
		ctx, cancel := context.WithCancelCause(context.Background())
		stop := context.CancelFunc(func() {})
		if !d.t.IsZero() {
			ctx, stop = context.WithDeadlineCause(ctx, d.t, os.ErrDeadlineExceeded)
		}
		d.ctx, d.cancel, d.stop = ctx, cancel, stop
	}
	return d.ctx, nil
}

// waitErr converts the error of a wait under ctx: a wait the context
// ended gives the context's cause (errDeadlineMoved asks the caller to
// wait again); any other error is the stream's. A call that succeeded
// stays a success even when ctx has ended since: its bytes are taken, and
// reporting the deadline would lose them (net/http moves a read deadline
// to the past while a background Read may be getting its byte).
func waitErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		if c := context.Cause(ctx); c == errDeadlineMoved || c == net.ErrClosed || c == os.ErrDeadlineExceeded {
			return c
		}
	}
	return err
}

func (c *streamConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "duet", Source: c.s.LocalAddr(), Addr: c.s.RemoteAddr(), Err: err}
}

// Read reads into p (see NetConn).
func (c *streamConn) Read(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		ctx, err := c.rd.context()
		if err != nil {
			return 0, c.opErr("read", err)
		}
		n, err := c.s.readInto(ctx, p)
		switch err = waitErr(ctx, err); err {
		case nil:
			return n, nil
		case errDeadlineMoved:
			continue
		case io.EOF:
			return 0, err
		}
		return 0, c.opErr("read", err)
	}
}

// Write writes p and drains (see NetConn).
func (c *streamConn) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	ctx, err := c.wd.context()
	if err != nil {
		return 0, c.opErr("write", err)
	}
	if err := c.s.Write(ctx, p); err != nil {
		return 0, c.opErr("write", err)
	}
	for {
		err := waitErr(ctx, c.s.Drain(ctx))
		switch err {
		case nil:
			return len(p), nil
		case errDeadlineMoved:
			if ctx, err = c.wd.context(); err == nil {
				continue
			}
		}
		return len(p), c.opErr("write", err)
	}
}

// Close closes the stream and ends the view's waits (see NetConn).
func (c *streamConn) Close() error {
	if c.closed.Swap(true) {
		return c.opErr("close", net.ErrClosed)
	}
	c.rd.close()
	c.wd.close()
	return c.s.Close()
}

// CloseWrite closes the writing side once what was written is sent (a
// half-close: Stream.WriteEOF), as *net.TCPConn's CloseWrite does.
func (c *streamConn) CloseWrite() error {
	if err := c.s.WriteEOF(); err != nil {
		return c.opErr("close", err)
	}
	return nil
}

func (c *streamConn) LocalAddr() net.Addr  { return c.s.LocalAddr() }
func (c *streamConn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

func (c *streamConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *streamConn) SetReadDeadline(t time.Time) error  { c.rd.set(t); return nil }
func (c *streamConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }
