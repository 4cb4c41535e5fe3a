package aio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// packetBacklog is how many received datagrams a PacketConn holds for its
// readers before it stops receiving: the datagrams that come meanwhile
// wait in the kernel's receive buffer, which drops what does not fit, as
// it would for any socket read too slowly. Receiving resumes once the
// readers have taken half.
const packetBacklog = 256

var errPacketClosed = fmt.Errorf("aio: the PacketConn is closed: %w", net.ErrClosed)

// PacketConn is a datagram endpoint read and written with calls that wait:
// the task-side counterpart of CreateDatagramEndpoint, as Stream is of
// CreateConnection. asyncio has none (its datagram API is the protocol
// alone); it is Go's net.PacketConn made for tasks, and NetPacketConn
// gives it as one for goroutine-side Go code.
//
// Loop tasks and goroutines may use one PacketConn at the same time: every
// method that waits takes a context first, and on a task of any loop
// waiting suspends the task, on a goroutine it blocks, as duet's
// primitives do. A wait ends early when the task is cancelled or ctx
// ends, with duet's usual errors (matching duet.ErrCancelled, or
// duet.ErrTimeout for a deadline); a nil ctx is refused with an error
// matching duet.ErrNilContext.
//
// Receiving. The loop receives datagrams as they arrive and holds up to
// 256 for ReadFrom, then stops receiving until readers catch up (the
// kernel's buffer holds, then drops, what comes meanwhile). ReadFrom
// returns them in order of arrival, one per call, to whichever reader is
// first; a ReadFrom that is cancelled takes none. An error the socket
// reports (a connected endpoint's ICMP port unreachable, matching
// syscall.ECONNREFUSED) is returned by the ReadFrom whose turn it is, as
// Go's net.UDPConn does, and the endpoint goes on.
//
// Sending. WriteTo sends at once when the caller is a task of the
// endpoint's loop, and otherwise hands a copy to the loop and waits for
// the send's result; either way it then waits while the endpoint's write
// buffer is above its high watermark (64 KiB, datagrams the socket could
// not take yet), which gives writers back-pressure. A WriteTo whose ctx
// ends in that wait has sent or buffered its datagram all the same.
//
// Every method is safe from any goroutine. ListenPacket and DialPacket
// make one; the zero PacketConn is not usable.
type PacketConn struct {
	l            *Loop
	q            *duet.Queue[packet]
	writable     duet.Event // set unless the transport paused writing
	closed       duet.Event // set by ConnectionLost
	closeReq     atomic.Bool
	laddr, raddr net.Addr

	mu     sync.Mutex
	tr     *dgramTransport // set by ConnectionMade; used on the loop only
	paused bool            // receiving is paused for a full backlog; guarded by mu
	view   *packetView
}

// packet is one received datagram (p and addr) or error (err).
type packet struct {
	p    []byte
	addr net.Addr
	err  error
}

// ListenPacket makes a datagram endpoint bound to address and returns it
// as a PacketConn (Go: net.ListenPacket; Python: create_datagram_endpoint
// with local_addr). network and address are CreateDatagramEndpoint's
// network and local: "udp", "udp4" or "udp6" with "host:port" (port 0 for
// a free one, LocalAddr says which), or "unixgram" with a socket path.
// The endpoint's loop is ctx's.
//
// From a task of the loop it suspends the task while a host name is
// resolved; from any other goroutine holding a context of the loop (its
// Context, or a task's), it blocks, the work running as a task of the
// loop. A ctx of no loop gives ErrNoLoop.
func ListenPacket(ctx context.Context, network, address string, opts ...DatagramOption) (*PacketConn, error) {
	return openPacket(ctx, "ListenPacket", network, address, "", opts)
}

// DialPacket makes a datagram endpoint connected to address and returns it
// as a PacketConn (Go: net.Dial with "udp"; Python:
// create_datagram_endpoint with remote_addr): it receives from address
// only, Write sends there, and ICMP errors come back as ReadFrom errors.
// The local address is chosen by the system (for "unixgram" the socket is
// unnamed and cannot be answered: use CreateDatagramEndpoint with both
// addresses). Otherwise as ListenPacket.
func DialPacket(ctx context.Context, network, address string, opts ...DatagramOption) (*PacketConn, error) {
	return openPacket(ctx, "DialPacket", network, "", address, opts)
}

func openPacket(ctx context.Context, call, network, local, remote string, opts []DatagramOption) (*PacketConn, error) {
	if ctx == nil {
		return nil, nilCtx(call)
	}
	l := loopFrom(ctx)
	if l == nil {
		return nil, ErrNoLoop
	}
	open := func(ctx context.Context) (*PacketConn, error) {
		c := &PacketConn{l: l, q: duet.NewQueue[packet](0)}
		c.writable.Set()
		if _, _, err := l.CreateDatagramEndpoint(ctx, network, local, remote, func() DatagramProtocol { return (*packetProto)(c) }, opts...); err != nil {
			return nil, err
		}
		return c, nil
	}
	if t, ok := park.Current(ctx).(*task); ok && t.loop == l {
		return open(ctx)
	}
	return duet.Await(ctx, Spawn(ctx, open, WithName("aio."+call+" "+local+remote)))
}

// onLoop reports whether the caller is a task of the endpoint's loop, the
// one caller that may use the transport directly.
func (c *PacketConn) onLoop(ctx context.Context) bool {
	t, ok := park.Current(ctx).(*task)
	return ok && t.loop == c.l
}

// ReadFrom waits for the next datagram and returns it, the caller's own,
// with its sender (a *net.UDPAddr, or a *net.UnixAddr that is nil for an
// unnamed sender); or the next error the socket reported, with a nil
// datagram. Once the endpoint is closed it returns an error matching
// net.ErrClosed.
func (c *PacketConn) ReadFrom(ctx context.Context) ([]byte, net.Addr, error) {
	if ctx == nil {
		return nil, nil, nilCtx("PacketConn.ReadFrom")
	}
	pk, err := c.q.Get(ctx)
	if err != nil {
		if errors.Is(err, duet.ErrQueueShutDown) {
			err = errPacketClosed
		}
		return nil, nil, err
	}
	c.mu.Lock()
	resume := c.paused && c.q.Len() <= packetBacklog/2
	if resume {
		c.paused = false
	}
	c.mu.Unlock()
	if resume {
		c.onLoopDo(ctx, func() {
			c.mu.Lock()
			ok := !c.paused // a datagram since may have paused it again
			c.mu.Unlock()
			if ok {
				c.tr.resumeReading()
			}
		})
	}
	return pk.p, pk.addr, pk.err
}

// onLoopDo runs fn on the loop: at once from a task of it, else from a
// callback.
func (c *PacketConn) onLoopDo(ctx context.Context, fn func()) {
	if c.onLoop(ctx) {
		fn()
		return
	}
	if _, err := c.l.CallSoon(fn); err != nil {
		// The loop closed while receiving was paused, so no receive was
		// pending to report the end: nothing more will come.
		c.q.Shutdown(false)
	}
}

// WriteTo sends p as one datagram to addr (see PacketConn for how it
// waits; DatagramTransport.SendTo for addresses and errors: a datagram too
// large is an error naming its size and the limit). p may be reused when
// WriteTo returns. After Close it returns an error matching net.ErrClosed.
func (c *PacketConn) WriteTo(ctx context.Context, p []byte, addr net.Addr) error {
	if ctx == nil {
		return nilCtx("PacketConn.WriteTo")
	}
	if c.closeReq.Load() {
		return errPacketClosed
	}
	var err error
	if c.onLoop(ctx) {
		err = c.tr.SendTo(p, addr)
	} else {
		b := append([]byte(nil), p...)
		done := duet.NewFuture[struct{}]()
		if _, cerr := c.l.CallSoon(func() { done.Complete(struct{}{}, c.tr.SendTo(b, addr)) }); cerr != nil {
			return fmt.Errorf("aio: PacketConn.WriteTo: %w", cerr)
		}
		_, err = duet.Await(ctx, done)
	}
	if err != nil {
		return err
	}
	if !c.writable.IsSet() {
		return c.writable.Wait(ctx)
	}
	return nil
}

// Write sends p to a connected endpoint's remote address (WriteTo with a
// nil address); on an unconnected endpoint it is an error.
func (c *PacketConn) Write(ctx context.Context, p []byte) error { return c.WriteTo(ctx, p, nil) }

// Close closes the endpoint: ReadFrom calls waiting and to come return an
// error matching net.ErrClosed at once (datagrams not read are dropped),
// and the socket is closed on the loop once the datagrams buffered for
// sending are sent (DatagramTransport.Close). It never waits; WaitClosed
// waits for the socket to be closed. Closing again does nothing.
func (c *PacketConn) Close() error {
	if c.closeReq.Swap(true) {
		return nil
	}
	c.q.Shutdown(true)
	c.mu.Lock()
	v := c.view
	c.mu.Unlock()
	if v != nil {
		v.rd.close()
		v.wd.close()
	}
	_, _ = c.l.CallSoon(func() { c.tr.Close() }) // a closed loop closed the socket
	return nil
}

// WaitClosed waits until the endpoint's socket is closed (after Close, or
// when the loop closes).
func (c *PacketConn) WaitClosed(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("PacketConn.WaitClosed")
	}
	return c.closed.Wait(ctx)
}

// LocalAddr returns the address the endpoint is bound to.
func (c *PacketConn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns a connected endpoint's remote address, or nil.
func (c *PacketConn) RemoteAddr() net.Addr { return c.raddr }

// packetProto is the protocol of a PacketConn's transport.
type packetProto PacketConn

func (p *packetProto) ConnectionMade(t DatagramTransport) {
	p.tr = t.(*dgramTransport)
	p.laddr, p.raddr = t.LocalAddr(), t.RemoteAddr()
}

func (p *packetProto) DatagramReceived(b []byte, addr net.Addr) {
	if p.q.TryPut(packet{p: append([]byte(nil), b...), addr: addr}) != nil {
		return // closed
	}
	if p.q.Len() >= packetBacklog {
		p.mu.Lock()
		p.paused = true
		p.mu.Unlock()
		p.tr.pauseReading()
	}
}

func (p *packetProto) ErrorReceived(err error) { _ = p.q.TryPut(packet{err: err}) }

func (p *packetProto) ConnectionLost(error) {
	p.q.Shutdown(false)
	p.writable.Set()
	p.closed.Set()
}

func (p *packetProto) PauseWriting()  { p.writable.Clear() }
func (p *packetProto) ResumeWriting() { p.writable.Set() }
