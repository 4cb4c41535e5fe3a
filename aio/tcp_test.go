package aio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// rec is a Protocol that records what happens to its connection; its
// hooks, when set, replace the default behaviour.
type rec struct {
	t       aio.Transport
	data    []byte
	eofs    int
	lost    *duet.Future[error]
	pauses  int
	resumes int
	paused  bool

	onMade func(r *rec)
	onData func(r *rec, p []byte)
	onEOF  func(r *rec) bool
	onRes  func(r *rec)
}

func newRec() *rec { return &rec{lost: duet.NewFuture[error]()} }

func (r *rec) ConnectionMade(t aio.Transport) {
	r.t = t
	if r.onMade != nil {
		r.onMade(r)
	}
}

func (r *rec) DataReceived(p []byte) {
	r.data = append(r.data, p...)
	if r.onData != nil {
		r.onData(r, p)
	}
}

func (r *rec) EOFReceived() bool {
	r.eofs++
	if r.onEOF != nil {
		return r.onEOF(r)
	}
	return false
}

func (r *rec) ConnectionLost(err error) { r.lost.SetResult(err) }
func (r *rec) PauseWriting()            { r.pauses++; r.paused = true }
func (r *rec) ResumeWriting() {
	r.resumes++
	r.paused = false
	if r.onRes != nil {
		r.onRes(r)
	}
}

// echo returns a server-side rec that writes back what it receives.
func echo() *rec {
	r := newRec()
	r.onData = func(r *rec, p []byte) { r.t.Write(p) }
	return r
}

// bufEcho is a BufferedProtocol echo server: it reads into its own buffer.
type bufEcho struct {
	t      aio.Transport
	buf    []byte
	hints  []int
	lost   *duet.Future[error]
	update int
}

func (b *bufEcho) ConnectionMade(t aio.Transport) { b.t = t }
func (b *bufEcho) GetBuffer(hint int) []byte {
	b.hints = append(b.hints, hint)
	if b.buf == nil {
		b.buf = make([]byte, 100) // small: several reads per message
	}
	return b.buf
}
func (b *bufEcho) BufferUpdated(n int)      { b.update++; b.t.Write(b.buf[:n]) }
func (b *bufEcho) EOFReceived() bool        { return false }
func (b *bufEcho) ConnectionLost(err error) { b.lost.SetResult(err) }

// runTCP runs fn as a loop's main task, within a real-time limit, with a
// loop whose exception handler records reports.
func runTCP(t *testing.T, fn func(ctx context.Context, reports *[]aio.ExceptionContext) error, opts ...aio.Option) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var reports []aio.ExceptionContext
	opts = append([]aio.Option{aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec)
	})}, opts...)
	if err := aio.Run(ctx, func(ctx context.Context) error { return fn(ctx, &reports) }, opts...); err != nil {
		t.Fatal(err)
	}
}

// until waits, on the loop, for cond.
func until(ctx context.Context, what string, cond func() bool) error {
	for i := 0; !cond(); i++ {
		if i > 10000 {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		if err := duet.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// serve starts a server on a free loopback port whose connections get the
// protocols newProto makes; it returns the server, its address and the
// protocols made so far (a pointer to the slice).
func serve[P aio.BaseProtocol](ctx context.Context, newProto func() P, opts ...aio.ServerOption) (*aio.Server, string, *[]P, error) {
	var made []P
	s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
		p := newProto()
		made = append(made, p)
		return p
	}, opts...)
	if err != nil {
		return nil, "", nil, err
	}
	return s, s.Addrs()[0].String(), &made, nil
}

func dial(ctx context.Context, addr string, r *rec) error {
	_, _, err := aio.LoopOf(ctx).CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return r })
	return err
}

func TestTCPEchoProtocol(t *testing.T) {
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if got := c.t.RemoteAddr().String(); got != addr {
			return fmt.Errorf("RemoteAddr %s, want %s", got, addr)
		}
		c.t.Write([]byte("hello, "))
		c.t.Writev([][]byte{[]byte("wor"), []byte("ld")})
		if err := until(ctx, "the echo", func() bool { return string(c.data) == "hello, world" }); err != nil {
			return err
		}
		if l := (*srv)[0].t.LocalAddr().String(); l != addr {
			return fmt.Errorf("server side LocalAddr %s, want %s", l, addr)
		}
		c.t.Close()
		if err, _ := duet.Await(ctx, c.lost); err != nil {
			return fmt.Errorf("client ConnectionLost(%v), want nil", err)
		}
		if err, _ := duet.Await(ctx, (*srv)[0].lost); err != nil {
			return fmt.Errorf("server ConnectionLost(%v), want nil", err)
		}
		s.Close()
		return s.WaitClosed(ctx)
	})
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

func TestTCPEchoBufferedProtocol(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, func() *bufEcho { return &bufEcho{lost: duet.NewFuture[error]()} })
		if err != nil {
			return err
		}
		defer s.Close()
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		msg := bytes.Repeat([]byte("0123456789"), 100)
		c.t.Write(msg)
		if err := until(ctx, "the echo", func() bool { return len(c.data) == len(msg) }); err != nil {
			return err
		}
		if !bytes.Equal(c.data, msg) {
			return errors.New("echo differs")
		}
		b := (*srv)[0]
		if b.update < 10 || b.hints[0] <= 0 {
			return fmt.Errorf("BufferUpdated %d times (want >= 10 for 1000 bytes in a 100-byte buffer), hint %d", b.update, b.hints[0])
		}
		c.t.Close()
		if err, _ := duet.Await(ctx, b.lost); err != nil {
			return fmt.Errorf("server ConnectionLost(%v)", err)
		}
		return nil
	})
}

// A half-close each way: the side that received EOF and returned true
// keeps writing, and Close ends it.
func TestTCPHalfClose(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		// Client half-closes; server answers after EOF, then closes.
		s, addr, _, err := serve(ctx, func() *rec {
			r := newRec()
			r.onEOF = func(r *rec) bool {
				if err := r.t.Write([]byte("got " + string(r.data))); err != nil {
					panic(err)
				}
				r.t.Close()
				return true
			}
			return r
		})
		if err != nil {
			return err
		}
		defer s.Close()
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if !c.t.CanWriteEOF() {
			return errors.New("CanWriteEOF false")
		}
		c.t.Write([]byte("ping"))
		if err := c.t.WriteEOF(); err != nil {
			return err
		}
		if c.t.IsClosing() {
			return errors.New("IsClosing after WriteEOF")
		}
		if err := c.t.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after WriteEOF: %v", err)
		}
		if err, _ := duet.Await(ctx, c.lost); err != nil {
			return fmt.Errorf("client lost: %v", err)
		}
		if string(c.data) != "got ping" || c.eofs != 1 {
			return fmt.Errorf("client got %q, %d EOFs", c.data, c.eofs)
		}

		// Server half-closes first; client keeps writing after EOF.
		s2, addr2, srv2, err := serve(ctx, func() *rec {
			r := newRec()
			r.onMade = func(r *rec) { r.t.Write([]byte("hello")); r.t.WriteEOF() }
			return r
		})
		if err != nil {
			return err
		}
		defer s2.Close()
		c2 := newRec()
		c2.onEOF = func(r *rec) bool { r.t.Write([]byte("still here")); return true }
		if err := dial(ctx, addr2, c2); err != nil {
			return err
		}
		if err := until(ctx, "the server's reply", func() bool { return len(*srv2) == 1 && string((*srv2)[0].data) == "still here" }); err != nil {
			return err
		}
		if string(c2.data) != "hello" || c2.eofs != 1 {
			return fmt.Errorf("client got %q, %d EOFs", c2.data, c2.eofs)
		}
		c2.t.Close()
		if err, _ := duet.Await(ctx, (*srv2)[0].lost); err != nil {
			return fmt.Errorf("server lost: %v", err)
		}
		_, err = duet.Await(ctx, c2.lost)
		return err
	})
}

// peer is a plain Go listener on another goroutine, for tests whose other
// end must misbehave.
func peer(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		handle(c.(*net.TCPConn))
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// A peer that resets the connection while we write: ConnectionLost gets
// ECONNRESET or EPIPE.
func TestTCPResetMidWrite(t *testing.T) {
	addr := peer(t, func(c *net.TCPConn) {
		buf := make([]byte, 1000)
		c.Read(buf) // some of the stream, then a reset
		c.SetLinger(0)
		c.Close()
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		chunk := make([]byte, 64<<10)
		c := newRec()
		c.onMade = func(r *rec) { r.t.SetWriteBufferLimits(1<<30, -1) }
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		for i := 0; i < 1000 && !c.lost.IsDone(); i++ {
			c.t.Write(chunk) // until the reset is seen
			if err := duet.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		err, _ := duet.Await(ctx, c.lost)
		if !isReset(err) {
			return fmt.Errorf("ConnectionLost(%v), want ECONNRESET or EPIPE", err)
		}
		if err := c.t.Write(chunk); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after the loss: %v", err)
		}
		return nil
	})
}

// A peer that vanishes (its connection reset with nothing in flight) while
// we only read.
func TestTCPPeerVanishes(t *testing.T) {
	addr := peer(t, func(c *net.TCPConn) {
		time.Sleep(20 * time.Millisecond)
		c.SetLinger(0)
		c.Close()
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		err, _ := duet.Await(ctx, c.lost)
		if !isReset(err) {
			return fmt.Errorf("ConnectionLost(%v), want ECONNRESET", err)
		}
		return nil
	})
}

// A writer whose peer does not read: the buffer rises to the high
// watermark, PauseWriting stops the writer, the buffer stays bounded, and
// ResumeWriting comes once the peer reads; no byte is lost.
func TestTCPFlowControl(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onMade = func(r *rec) { r.t.PauseReading() }
			return r
		})
		if err != nil {
			return err
		}
		defer s.Close()
		const high = 256 << 10
		const limit = 32 << 20
		chunk := make([]byte, 32<<10)
		written, maxBuf := 0, 0
		fill := func(r *rec) {
			for !r.paused && written < limit {
				r.t.Write(chunk)
				written += len(chunk)
				maxBuf = max(maxBuf, r.t.WriteBufferSize())
			}
		}
		c := newRec()
		c.onMade = func(r *rec) { r.t.SetWriteBufferLimits(high, -1); fill(r) }
		c.onRes = fill
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if c.pauses != 1 {
			return fmt.Errorf("PauseWriting called %d times after %d bytes", c.pauses, written)
		}
		// The kernel's buffers grow for a while (loopback autotuning);
		// then nothing moves while the peer does not read.
		for last := -1; last != written; {
			last = written
			duet.Sleep(ctx, 50*time.Millisecond)
		}
		if !c.paused || written >= limit || c.t.WriteBufferSize() <= high/4 {
			return fmt.Errorf("with a peer that does not read: paused %v, %d bytes written, %d buffered", c.paused, written, c.t.WriteBufferSize())
		}
		if maxBuf > high+len(chunk) {
			return fmt.Errorf("write buffer reached %d bytes, high watermark %d", maxBuf, high)
		}
		resumes := c.resumes
		if err := until(ctx, "the server", func() bool { return len(*srv) == 1 }); err != nil {
			return err
		}
		(*srv)[0].t.ResumeReading()
		if err := until(ctx, "ResumeWriting", func() bool { return c.resumes > resumes }); err != nil {
			return err
		}
		if err := until(ctx, "every byte", func() bool { return written >= limit && len((*srv)[0].data) == written }); err != nil {
			return fmt.Errorf("%w: %d of %d", err, len((*srv)[0].data), written)
		}
		if maxBuf > high+len(chunk) {
			return fmt.Errorf("write buffer reached %d bytes, high watermark %d", maxBuf, high)
		}
		c.t.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	})
}

// PauseReading stops DataReceived; ResumeReading delivers every byte, in
// order.
func TestTCPPauseReading(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onData = func(r *rec, p []byte) {
				if len(r.data) >= 100<<10 && len(r.data)-len(p) < 100<<10 {
					r.t.PauseReading() // from inside DataReceived
				}
			}
			return r
		})
		if err != nil {
			return err
		}
		defer s.Close()
		msg := make([]byte, 1<<20)
		for i := range msg {
			msg[i] = byte(i * 7 / 5)
		}
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		c.t.Write(msg)
		if err := until(ctx, "the pause", func() bool { return len(*srv) == 1 && !(*srv)[0].t.IsReading() }); err != nil {
			return err
		}
		sr := (*srv)[0]
		n := len(sr.data)
		duet.Sleep(ctx, 30*time.Millisecond)
		if len(sr.data) != n {
			return fmt.Errorf("DataReceived while paused: %d then %d bytes", n, len(sr.data))
		}
		sr.t.ResumeReading()
		if err := until(ctx, "every byte", func() bool { return len(sr.data) == len(msg) }); err != nil {
			return err
		}
		if !bytes.Equal(sr.data, msg) {
			return errors.New("bytes lost or reordered across the pause")
		}
		c.t.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	})
}

// A panic in DataReceived aborts that connection, with the *PanicError
// given to ConnectionLost and to the exception handler; other connections
// and the loop go on.
func TestTCPPanicInDataReceived(t *testing.T) {
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onData = func(r *rec, p []byte) {
				if bytes.Contains(p, []byte("boom")) {
					panic("boom")
				}
				r.t.Write(p)
			}
			return r
		})
		if err != nil {
			return err
		}
		defer s.Close()
		a, b := newRec(), newRec()
		if err := dial(ctx, addr, a); err != nil {
			return err
		}
		if err := dial(ctx, addr, b); err != nil {
			return err
		}
		a.t.Write([]byte("boom"))
		if _, err := duet.Await(ctx, a.lost); err != nil {
			return fmt.Errorf("the panicking server side's peer: ConnectionLost(%v), want nil (EOF)", err)
		}
		err, _ = duet.Await(ctx, (*srv)[0].lost)
		var pe *duet.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" {
			return fmt.Errorf("server side ConnectionLost(%v), want the PanicError", err)
		}
		if len(*reports) != 1 || !errors.As((*reports)[0].Err, &pe) {
			return fmt.Errorf("reports: %+v", *reports)
		}
		b.t.Write([]byte("still fine"))
		if err := until(ctx, "the other echo", func() bool { return string(b.data) == "still fine" }); err != nil {
			return err
		}
		b.t.Close()
		_, err = duet.Await(ctx, b.lost)
		return err
	})
}

// Close sends what is buffered before ConnectionLost(nil); Abort drops it.
func TestTCPCloseFlushesAbortDrops(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		big := make([]byte, 16<<20)
		for i := range big {
			big[i] = byte(i)
		}
		abort := false
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onMade = func(r *rec) {
				r.t.Write(big)
				if r.t.WriteBufferSize() == 0 {
					panic("16 MiB went out at once: the test proves nothing")
				}
				if abort {
					r.t.Abort()
				} else {
					r.t.Close()
				}
				if !r.t.IsClosing() {
					panic("not closing")
				}
				if err := r.t.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
					panic(fmt.Sprint("Write after Close: ", err))
				}
			}
			return r
		})
		if err != nil {
			return err
		}
		defer s.Close()
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if err, _ := duet.Await(ctx, c.lost); err != nil {
			return fmt.Errorf("client lost: %v", err)
		}
		if !bytes.Equal(c.data, big) {
			return fmt.Errorf("Close delivered %d of %d bytes", len(c.data), len(big))
		}
		if err, _ := duet.Await(ctx, (*srv)[0].lost); err != nil {
			return fmt.Errorf("server lost: %v", err)
		}

		abort = true
		c2 := newRec()
		if err := dial(ctx, addr, c2); err != nil {
			return err
		}
		duet.Await(ctx, c2.lost) // nil or a reset: the abort may come as either
		if len(c2.data) >= len(big) {
			return fmt.Errorf("Abort delivered all %d bytes", len(c2.data))
		}
		err, _ = duet.Await(ctx, (*srv)[1].lost)
		if !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("server ConnectionLost(%v) after Abort, want net.ErrClosed", err)
		}
		if (*srv)[1].t.WriteBufferSize() != 0 {
			return errors.New("buffer kept after Abort")
		}
		return nil
	})
}

// Many connections made and closed leave no fd and no goroutine behind
// (goleak checks the goroutines at the end of the package's tests).
func TestTCPManyConnections(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, srv, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			c := newRec()
			if err := dial(ctx, addr, c); err != nil {
				return fmt.Errorf("connection %d: %w", i, err)
			}
			c.t.Write([]byte("x"))
			if err := until(ctx, "the echo", func() bool { return len(c.data) == 1 }); err != nil {
				return err
			}
			c.t.Close()
			if _, err := duet.Await(ctx, c.lost); err != nil {
				return err
			}
		}
		s.Close()
		if err := s.WaitClosed(ctx); err != nil {
			return err
		}
		if len(*srv) != n {
			return fmt.Errorf("%d connections accepted, want %d", len(*srv), n)
		}
		return nil
	})
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

func TestTCPBadInput(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		mk := func() aio.BaseProtocol { return newRec() }
		if _, _, err := l.CreateConnection(ctx, "tcp", "no port here", mk); err == nil || !strings.Contains(err.Error(), "no port here") {
			return fmt.Errorf("unparsable address: %v", err)
		}
		if _, err := l.CreateServer(ctx, "udp", "127.0.0.1:0", mk); err == nil {
			return errors.New("CreateServer udp: no error")
		}
		s, err := l.CreateServer(ctx, "tcp4", "127.0.0.1:0", mk)
		if err != nil {
			return err
		}
		addr := s.Addrs()[0].String()
		if _, err := l.CreateServer(ctx, "tcp4", addr, mk); !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), addr) {
			return fmt.Errorf("port in use: %v", err)
		}
		s.Close()
		_, _, err = l.CreateConnection(ctx, "tcp", addr, mk)
		if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), addr) {
			return fmt.Errorf("refused: %v", err)
		}
		return nil
	})
	// Off the loop: refused with a clear error.
	l := aio.New()
	defer l.Close()
	if _, _, err := l.CreateConnection(context.Background(), "tcp", "127.0.0.1:1", func() aio.BaseProtocol { return newRec() }); err == nil {
		t.Error("CreateConnection off the loop: no error")
	}
}

// fullBacklog returns the address of a listener that never accepts and
// whose backlog is full, so that a connect to it hangs (Linux drops the
// SYNs a full accept queue cannot take).
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp4", addr, 100*time.Millisecond)
		if err != nil {
			return addr // this one hung: the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the listener's backlog never filled")
	return ""
}

// A connect cancelled while it waits (a timeout, a task's cancel) closes
// its socket.
func TestTCPConnectCancelledClosesSocket(t *testing.T) {
	addr := fullBacklog(t)
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		mk := func() aio.BaseProtocol { return newRec() }
		err := duet.WithTimeout(ctx, 50*time.Millisecond, func(ctx context.Context) error {
			_, _, err := l.CreateConnection(ctx, "tcp", addr, mk)
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("connect to a full backlog: %v, want a timeout", err)
		}
		task := aio.Spawn(ctx, func(ctx context.Context) (aio.Transport, error) {
			tr, _, err := l.CreateConnection(ctx, "tcp", addr, mk)
			return tr, err
		})
		duet.Sleep(ctx, 20*time.Millisecond)
		task.Cancel("test")
		if _, err := duet.Await(ctx, task); !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("cancelled connect: %v", err)
		}
		return nil
	})
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// Server.Close stops listening and keeps the connections; WaitClosed
// waits for both; CloseClients and AbortClients end the connections.
func TestServerShutdown(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		s, addr, srv, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		if !s.Serving() {
			return errors.New("not serving")
		}
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		waited := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.WaitClosed(ctx) })
		duet.Sleep(ctx, 10*time.Millisecond)
		if waited.Future().IsDone() {
			return errors.New("WaitClosed returned on a serving server")
		}
		s.Close()
		s.Close()
		if s.Serving() {
			return errors.New("serving after Close")
		}
		if _, _, err := l.CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return newRec() }); !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("connect after Close: %v", err)
		}
		c.t.Write([]byte("after close"))
		if err := until(ctx, "the echo", func() bool { return string(c.data) == "after close" }); err != nil {
			return err
		}
		duet.Sleep(ctx, 10*time.Millisecond)
		if waited.Future().IsDone() {
			return errors.New("WaitClosed returned with a connection open")
		}
		c.t.Close()
		if _, err := duet.Await(ctx, waited); err != nil {
			return err
		}
		if !(*srv)[0].lost.IsDone() {
			return errors.New("WaitClosed returned before ConnectionLost")
		}
		if err := s.WaitClosed(ctx); err != nil { // at once, now
			return err
		}

		// CloseClients and AbortClients, on a serving server.
		s2, addr2, srv2, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		a, b := newRec(), newRec()
		if err := dial(ctx, addr2, a); err != nil {
			return err
		}
		if err := until(ctx, "accept", func() bool { return len(*srv2) == 1 }); err != nil {
			return err
		}
		s2.CloseClients()
		if err, _ := duet.Await(ctx, (*srv2)[0].lost); err != nil {
			return fmt.Errorf("CloseClients: ConnectionLost(%v)", err)
		}
		if err := dial(ctx, addr2, b); err != nil {
			return fmt.Errorf("connect after CloseClients: %w", err)
		}
		if err := until(ctx, "accept", func() bool { return len(*srv2) == 2 }); err != nil {
			return err
		}
		s2.AbortClients()
		if err, _ := duet.Await(ctx, (*srv2)[1].lost); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("AbortClients: ConnectionLost(%v)", err)
		}
		duet.Await(ctx, a.lost)
		duet.Await(ctx, b.lost)
		s2.Close()
		return s2.WaitClosed(ctx)
	})
}

// A host name is resolved through the executor; "localhost" may have
// ::1 and 127.0.0.1, raced by Happy Eyeballs.
func TestTCPConnectLocalhost(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, addr, _, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		defer s.Close()
		_, port, _ := net.SplitHostPort(addr)
		for _, d := range []time.Duration{aio.DefaultHappyEyeballsDelay, duet.NoTimeout} {
			c := newRec()
			_, _, err := aio.LoopOf(ctx).CreateConnection(ctx, "tcp", "localhost:"+port, func() aio.BaseProtocol { return c }, aio.WithHappyEyeballsDelay(d))
			if err != nil {
				return err
			}
			c.t.Write([]byte("hi"))
			if err := until(ctx, "the echo", func() bool { return string(c.data) == "hi" }); err != nil {
				return err
			}
			c.t.Close()
			duet.Await(ctx, c.lost)
		}
		return nil
	})
}

// Under a virtual clock, a round trip on loopback completes before the
// clock jumps to a pending timeout: the open transports hold it for the
// autojump threshold.
func TestTCPVirtualClock(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		start := l.Time()
		s, addr, _, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		defer s.Close()
		var got duet.Event
		c := newRec()
		c.onData = func(r *rec, _ []byte) {
			if string(r.data) == "tick" {
				got.Set()
			}
		}
		err = duet.WithTimeout(ctx, time.Hour, func(ctx context.Context) error {
			if err := dial(ctx, addr, c); err != nil {
				return err
			}
			c.t.Write([]byte("tick"))
			return got.Wait(ctx)
		})
		if err != nil {
			return err
		}
		if d := l.Time().Sub(start); d >= time.Hour {
			return fmt.Errorf("the clock jumped %v during the round trip", d)
		}
		c.t.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	}, aio.WithVirtualClock())
}

// BenchmarkTCPEchoRoundTrip: one 64-byte message at a time, client and
// server Protocols on one loop over loopback.
func BenchmarkTCPEchoRoundTrip(b *testing.B) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		s, addr, _, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		defer s.Close()
		msg := make([]byte, 64)
		done := duet.NewFuture[struct{}]()
		n, got := 0, 0
		c := &rec{lost: duet.NewFuture[error]()}
		c.onData = func(r *rec, p []byte) {
			r.data = r.data[:0]
			got += len(p)
			if got < len(msg) {
				return
			}
			got = 0
			if n++; n >= b.N {
				done.SetResult(struct{}{})
				return
			}
			r.t.Write(msg)
		}
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		b.ReportAllocs()
		b.ResetTimer()
		c.t.Write(msg)
		if _, err := duet.Await(ctx, done); err != nil {
			return err
		}
		b.StopTimer()
		c.t.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// A loop that closes with connections open closes their sockets, and the
// reading ones hear ConnectionLost (with net.ErrClosed) from the poller's
// close.
func TestTCPLoopCloseEndsConnections(t *testing.T) {
	before := openFDs(t)
	c := newRec()
	var srv *[]*rec
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		var addr string
		var err error
		_, addr, srv, err = serve(ctx, echo)
		if err != nil {
			return err
		}
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		return until(ctx, "accept", func() bool { return len(*srv) == 1 })
	})
	for _, r := range []*rec{c, (*srv)[0]} {
		if err, _ := r.lost.Result(); !r.lost.IsDone() || !errors.Is(err, net.ErrClosed) {
			t.Errorf("after the loop's close: lost %v, ConnectionLost(%v)", r.lost.IsDone(), err)
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// The ownership rule of DataReceived (protocol.go): p holds exactly the
// bytes received while the call runs, and is lent: the loop reads into
// the same memory again afterwards (one buffer for the loop's
// connections), so a protocol that keeps p without copying sees it change,
// as the rule says, while the copy it made stays as received.
func TestTCPDataReceivedBufferIsLent(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		var kept [][]byte   // p itself, kept against the rule
		var copies []string // what the rule says to do
		_, addr, _, err := serve(ctx, func() *rec {
			r := newRec()
			r.onData = func(r *rec, p []byte) {
				kept = append(kept, p)
				copies = append(copies, string(p))
				r.t.Write([]byte{'.'}) // ask for the next message
			}
			return r
		})
		if err != nil {
			return err
		}
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		msgs := []string{"first message", "SECOND", "third one, longer than the others"}
		for i, m := range msgs {
			c.t.Write([]byte(m))
			if err := until(ctx, "the acknowledgement", func() bool { return len(c.data) == i+1 }); err != nil {
				return err
			}
		}
		c.t.Close()
		if strings.Join(copies, "|") != strings.Join(msgs, "|") {
			return fmt.Errorf("copies %q, want %q", copies, msgs)
		}
		if len(kept) != len(msgs) || &kept[0][0] != &kept[1][0] {
			return errors.New("DataReceived did not reuse its buffer: the documented loan is not what happens")
		}
		if string(kept[0]) == msgs[0] {
			return errors.New("a kept p did not change after the next read: the test proves nothing")
		}
		return nil
	})
}
