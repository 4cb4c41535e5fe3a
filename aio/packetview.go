package aio

import (
	"net"
	"os"
	"sync/atomic"
	"time"
)

// NetPacketConn returns the endpoint as a net.PacketConn, for
// goroutine-side Go code (a DNS or QUIC library, anything written against
// net.PacketConn). Every call returns the same view.
//
// The view is for goroutines: its ReadFrom and WriteTo block the calling
// goroutine, so a task that calls them blocks its loop; tasks use the
// PacketConn's methods. ReadFrom copies the next datagram into p and
// returns its length, a datagram longer than p being truncated to it (the
// rest is dropped, as net.UDPConn's ReadFrom does); WriteTo returns
// len(p) once the datagram is sent or buffered. Deadlines follow
// net.PacketConn: a deadline moved while a call waits applies to that
// wait, and a call that times out returns an error whose Timeout()
// reports true and that matches os.ErrDeadlineExceeded; a ReadFrom that
// times out takes no datagram, and a WriteTo that times out has handed
// its datagram to the loop, which sends it (n == len(p)): a datagram is
// never sent twice. Close closes the PacketConn. Errors are
// *net.OpError values.
func (c *PacketConn) NetPacketConn() net.PacketConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view == nil {
		c.view = &packetView{c: c}
		if c.closeReq.Load() {
			c.view.rd.close()
			c.view.wd.close()
		}
	}
	return c.view
}

// packetView is the net.PacketConn view of a PacketConn.
type packetView struct {
	c      *PacketConn
	rd, wd connDeadline
	closed atomic.Bool
}

var _ net.PacketConn = (*packetView)(nil)

func (v *packetView) opErr(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "duet", Source: v.c.LocalAddr(), Addr: addr, Err: err}
}

func (v *packetView) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		ctx, err := v.rd.context()
		if err != nil {
			return 0, nil, v.opErr("read", nil, err)
		}
		b, addr, err := v.c.ReadFrom(ctx)
		switch err = waitErr(ctx, err); err {
		case nil:
			return copy(p, b), addr, nil
		case errDeadlineMoved:
			continue
		}
		return 0, addr, v.opErr("read", addr, err)
	}
}

func (v *packetView) WriteTo(p []byte, addr net.Addr) (int, error) {
	ctx, err := v.wd.context()
	if err != nil {
		return 0, v.opErr("write", addr, err)
	}
	// Never sent twice: once the datagram is handed to the loop it goes
	// out, whatever ends the wait after that.
	switch err = waitErr(ctx, v.c.WriteTo(ctx, p, addr)); err {
	case nil, errDeadlineMoved:
		return len(p), nil
	case os.ErrDeadlineExceeded:
		return len(p), v.opErr("write", addr, err)
	}
	return 0, v.opErr("write", addr, err)
}

func (v *packetView) Close() error {
	if v.closed.Swap(true) {
		return v.opErr("close", nil, errPacketClosed)
	}
	return v.c.Close()
}

func (v *packetView) LocalAddr() net.Addr { return v.c.LocalAddr() }

func (v *packetView) SetDeadline(t time.Time) error {
	v.rd.set(t)
	v.wd.set(t)
	return nil
}

func (v *packetView) SetReadDeadline(t time.Time) error  { v.rd.set(t); return nil }
func (v *packetView) SetWriteDeadline(t time.Time) error { v.wd.set(t); return nil }
