package poll_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet/internal/poll"
	"golang.org/x/sys/unix"
)

func TestReadLargeTransferInChunks(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	const size = 8<<20 + 123
	data := pattern(0, size)
	var w writeResult
	bufs := [][]byte{data[:3<<20], data[3<<20 : 5<<20+17], {}, data[5<<20+17:]}
	if err := a.Write(bufs, writeFunc(w.done)); err != nil {
		t.Fatal(err)
	}
	s := newSink(61 << 10) // an odd size: chunks straddle the writer's buffers
	s.start(t, b)
	pump(t, p, "the transfer", func() bool { return s.got.Len() >= size && w.calls > 0 })
	if w.calls != 1 || w.n != size || w.err != nil {
		t.Fatalf("write done %d times, last (%d, %v); want once (%d, nil)", w.calls, w.n, w.err, size)
	}
	if !bytes.Equal(s.got.Bytes(), data) {
		t.Fatalf("received %d bytes that differ from the %d sent", s.got.Len(), size)
	}
	if s.reads < size/(61<<10) {
		t.Fatalf("%d reads for %d bytes through a %d-byte buffer", s.reads, size, 61<<10)
	}
}

func TestReadEOF(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	var w writeResult
	a.Write([][]byte{[]byte("hello")}, writeFunc(w.done))
	pump(t, p, "the write", func() bool { return w.calls > 0 })
	if err := unix.Shutdown(a.Fd(), unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	s := newSink(4096)
	s.start(t, b)
	pump(t, p, "EOF", func() bool { return s.eofs > 0 })
	if s.got.String() != "hello" || s.eofs != 1 || s.err != nil {
		t.Fatalf("got %q, %d EOFs, error %v", s.got.String(), s.eofs, s.err)
	}
	// Reading stopped at EOF: nothing more is delivered.
	reads := s.reads
	if n, _ := p.Poll(20 * time.Millisecond); n != 0 || s.reads != reads {
		t.Fatalf("after EOF, Poll ran %d callbacks", n)
	}
	// StartRead again reads on: the end of stream again, at once.
	s.start(t, b)
	pump(t, p, "the second EOF", func() bool { return s.eofs == 2 })

	// A peer's Close is an end of stream too.
	c, d := socketpair(t, p)
	s2 := newSink(16)
	s2.start(t, d)
	c.Close()
	pump(t, p, "EOF after the peer's Close", func() bool { return s2.eofs > 0 })
}

func TestReadPeerReset(t *testing.T) {
	p := newPoller(t)
	// An AF_UNIX stream socket closed with unread data resets its peer.
	a, b := socketpair(t, p)
	var w writeResult
	b.Write([][]byte{[]byte("never read")}, writeFunc(w.done))
	pump(t, p, "the write", func() bool { return w.calls > 0 })
	a.Close()
	s := newSink(4096)
	s.start(t, b)
	pump(t, p, "the reset", func() bool { return s.err != nil || s.eofs > 0 })
	if !errors.Is(s.err, syscall.ECONNRESET) {
		t.Fatalf("socketpair read after the peer's reset: %v (%d EOFs)", s.err, s.eofs)
	}

	// TCP: a close with SO_LINGER 0 sends RST.
	c, d := tcpPair(t, p)
	if err := unix.SetsockoptLinger(c.Fd(), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}); err != nil {
		t.Fatal(err)
	}
	s2 := newSink(4096)
	s2.start(t, d)
	c.Close()
	pump(t, p, "the TCP reset", func() bool { return s2.err != nil || s2.eofs > 0 })
	if !errors.Is(s2.err, syscall.ECONNRESET) {
		t.Fatalf("TCP read after the peer's reset: %v (%d EOFs)", s2.err, s2.eofs)
	}
}

// StopRead in the middle of a stream leaves the rest in the kernel; the fd
// stays silent (edge-triggered, no busy loop) and StartRead resumes with
// the next byte, with no new edge to wait for.
func TestStopReadMidStreamLosesNothing(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	const size = 1 << 20
	data := pattern(0, size)
	var w writeResult
	a.Write([][]byte{data}, writeFunc(w.done))
	s := newSink(4093)
	stopped := 0
	var sf func(buf []byte, n int, err error)
	sf = func(buf []byte, n int, err error) {
		s.done(buf, n, err)
		b.StopRead()
		stopped++
	}
	for s.got.Len() < size {
		s.lent = false
		if err := b.StartRead(readFuncs{s.alloc, sf}); err != nil {
			t.Fatal(err)
		}
		before := stopped
		pump(t, p, "a chunk", func() bool { return stopped > before })
		if stopped%64 == 0 {
			// Stopped with data waiting: Poll must not report it.
			start := time.Now()
			for time.Since(start) < 5*time.Millisecond {
				p.Poll(5 * time.Millisecond)
			}
			if stopped != before+1 {
				t.Fatal("a stopped FD delivered data")
			}
		}
	}
	pump(t, p, "the write", func() bool { return w.calls > 0 })
	if !bytes.Equal(s.got.Bytes(), data) {
		t.Fatalf("received %d bytes that differ from the %d sent", s.got.Len(), size)
	}
}

func TestWritevPartialCompletesLater(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	unix.SetsockoptInt(a.Fd(), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	unix.SetsockoptInt(b.Fd(), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
	data := pattern(0, 3<<20)
	var w1, w2, w3 writeResult
	bufs1 := [][]byte{data[:1000], data[1000 : 1<<20], data[1<<20 : 2<<20]}
	bufs2 := [][]byte{data[2<<20 : 2<<20+5], data[2<<20+5 : 3<<20]}
	if err := a.Write(bufs1, writeFunc(w1.done)); err != nil {
		t.Fatal(err)
	}
	// Write made the syscall at once: bytes are in the peer's buffer
	// before any Poll.
	if q, err := unix.IoctlGetInt(b.Fd(), unix.SIOCINQ); err != nil || q == 0 {
		t.Fatalf("nothing reached the peer before Poll (%d bytes queued, %v)", q, err)
	}
	a.Write(bufs2, writeFunc(w2.done))
	a.Write(nil, writeFunc(w3.done)) // an empty write completes in order, with 0
	for range 3 {
		p.Poll(5 * time.Millisecond)
	}
	if w1.calls+w2.calls+w3.calls != 0 {
		t.Fatal("a write into a full socket completed before the peer read")
	}
	s := newSink(8192)
	s.start(t, b)
	pump(t, p, "the writes", func() bool { return w3.calls > 0 })
	if w1.calls != 1 || w1.n != 2<<20 || w1.err != nil || w2.calls != 1 || w2.n != 1<<20 || w2.err != nil || w3.n != 0 || w3.err != nil {
		t.Fatalf("writes completed with (%d, %d, %v), (%d, %d, %v), (%d, %d, %v)",
			w1.calls, w1.n, w1.err, w2.calls, w2.n, w2.err, w3.calls, w3.n, w3.err)
	}
	if !(w1.order < w2.order && w2.order < w3.order) {
		t.Fatalf("writes completed out of order: %d, %d, %d", w1.order, w2.order, w3.order)
	}
	pump(t, p, "the bytes", func() bool { return s.got.Len() >= len(data) })
	if !bytes.Equal(s.got.Bytes(), data) {
		t.Fatal("the bytes received differ from those written")
	}
	if bufs1[1][0] != data[1000] || len(bufs1) != 3 || len(bufs1[0]) != 1000 {
		t.Fatal("Write modified the caller's buffers")
	}
}

func TestWriteErrorIsSticky(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	b.Close()
	var w1, w2 writeResult
	a.Write([][]byte{[]byte("x")}, writeFunc(w1.done))
	a.Write([][]byte{[]byte("y"), []byte("z")}, writeFunc(w2.done))
	pump(t, p, "the failed writes", func() bool { return w2.calls > 0 })
	if !errors.Is(w1.err, syscall.EPIPE) || !errors.Is(w2.err, syscall.EPIPE) || w1.n != 0 || w2.n != 0 || w1.calls != 1 {
		t.Fatalf("writes to a closed peer: (%d, %v), (%d, %v)", w1.n, w1.err, w2.n, w2.err)
	}
}

func TestAcceptConnectLoopback(t *testing.T) {
	p := newPoller(t)
	l, sa := loopback(t, p, 8)
	c, err := p.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cerr error
	connects := 0
	if err := c.Connect(sa, func(err error) { connects++; cerr = err }); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(sa, func(error) {}); err == nil {
		t.Fatal("a second Connect while one is in progress succeeded")
	}
	var srv *poll.FD
	var peer poll.Sockaddr
	accepts := 0
	if err := l.Accept(func(f *poll.FD, sa poll.Sockaddr, err error) {
		accepts++
		if err != nil {
			t.Errorf("accept: %v", err)
		}
		srv, peer = f, sa
	}); err != nil {
		t.Fatal(err)
	}
	pump(t, p, "connect and accept", func() bool { return connects > 0 && accepts > 0 })
	if cerr != nil || srv == nil {
		t.Fatalf("connect: %v, accepted %v", cerr, srv)
	}
	if in4, ok := peer.(*unix.SockaddrInet4); !ok || in4.Addr != [4]byte{127, 0, 0, 1} {
		t.Fatalf("accepted from %#v", peer)
	}
	for _, f := range []*poll.FD{l, c, srv} {
		if fl, _ := unix.FcntlInt(uintptr(f.Fd()), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
			t.Errorf("fd %d is blocking", f.Fd())
		}
		if fl, _ := unix.FcntlInt(uintptr(f.Fd()), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("fd %d is not close-on-exec", f.Fd())
		}
	}
	// Both ways through the poller.
	var w1, w2 writeResult
	c.Write([][]byte{[]byte("ping")}, writeFunc(w1.done))
	srv.Write([][]byte{[]byte("po"), []byte("ng")}, writeFunc(w2.done))
	sc, ss := newSink(64), newSink(64)
	sc.start(t, c)
	ss.start(t, srv)
	pump(t, p, "the exchange", func() bool { return sc.got.Len() == 4 && ss.got.Len() == 4 })
	if sc.got.String() != "pong" || ss.got.String() != "ping" {
		t.Fatalf("client got %q, server got %q", sc.got.String(), ss.got.String())
	}
	if connects != 1 || accepts != 1 {
		t.Fatalf("%d connect and %d accept completions", connects, accepts)
	}
}

func TestConnectRefused(t *testing.T) {
	p := newPoller(t)
	l, sa := loopback(t, p, 1)
	l.Close() // nobody listens on sa now
	c, err := p.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	var cerr error
	c.Connect(sa, func(err error) { calls++; cerr = err })
	pump(t, p, "the refusal", func() bool { return calls > 0 })
	if !errors.Is(cerr, syscall.ECONNREFUSED) {
		t.Fatalf("connect to a closed port: %v", cerr)
	}
	if n, _ := p.Poll(10 * time.Millisecond); n != 0 || calls != 1 {
		t.Fatalf("connect completed %d times", calls)
	}
}

func TestClosePendingCompletesEachOnce(t *testing.T) {
	p := newPoller(t)
	// A read waiting for data, and writes stuck behind a full buffer.
	a, b := socketpair(t, p)
	unix.SetsockoptInt(a.Fd(), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
	var reads int
	var rerr error
	a.StartRead(readFuncs{func() []byte { return make([]byte, 16) }, func(_ []byte, n int, err error) { reads++; rerr = err }})
	var w0, w1, w2 writeResult
	big := pattern(0, 1<<20)
	a.Write([][]byte{big}, writeFunc(w1.done))
	a.Write([][]byte{big}, writeFunc(w2.done))
	p.Poll(0)
	// A listener with accepts pending.
	l, _ := loopback(t, p, 1)
	var accepts int
	var aerrs []error
	for range 2 {
		l.Accept(func(f *poll.FD, _ poll.Sockaddr, err error) { accepts++; aerrs = append(aerrs, err) })
	}
	// A write that finished before Close reports its own result.
	c, _ := socketpair(t, p)
	c.Write([][]byte{[]byte("done before Close")}, writeFunc(w0.done))

	for _, f := range []*poll.FD{a, l, c} {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second Close: %v", err)
		}
		if f.Fd() != -1 {
			t.Fatal("Fd after Close is not -1")
		}
	}
	if reads+accepts+w0.calls+w1.calls+w2.calls != 0 {
		t.Fatal("Close ran callbacks itself")
	}
	pump(t, p, "the completions", func() bool { return reads > 0 && accepts == 2 && w2.calls > 0 && w0.calls > 0 })
	for range 3 {
		p.Poll(time.Millisecond)
	}
	if reads != 1 || !errors.Is(rerr, net.ErrClosed) {
		t.Errorf("read: %d completions, %v", reads, rerr)
	}
	if w1.calls != 1 || w2.calls != 1 || !errors.Is(w1.err, net.ErrClosed) || !errors.Is(w2.err, net.ErrClosed) || w1.n == 0 || w1.n == len(big) || w2.n != 0 {
		t.Errorf("writes: (%d× %d, %v), (%d× %d, %v)", w1.calls, w1.n, w1.err, w2.calls, w2.n, w2.err)
	}
	if w0.calls != 1 || w0.err != nil || w0.n != len("done before Close") {
		t.Errorf("finished write: %d× (%d, %v)", w0.calls, w0.n, w0.err)
	}
	if accepts != 2 || !errors.Is(aerrs[0], net.ErrClosed) || !errors.Is(aerrs[1], net.ErrClosed) {
		t.Errorf("accepts: %d, %v", accepts, aerrs)
	}
	// New operations on a closed FD are refused at once.
	if err := a.Write([][]byte{big}, writeFunc(func(int, error) { t.Error("done of a refused write") })); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if err := a.StartRead(readFuncs{func() []byte { return nil }, func([]byte, int, error) {}}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("StartRead after Close: %v", err)
	}
	if err := l.Accept(func(*poll.FD, poll.Sockaddr, error) {}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	_ = b
}

// A connect that stays in progress (the listener's accept queue is full, so
// the SYN is dropped) completes with the closed error when its FD closes.
func TestClosePendingConnect(t *testing.T) {
	p := newPoller(t)
	l, sa := loopback(t, p, 0)
	defer l.Close()
	results := map[*poll.FD][]error{}
	for range 8 {
		c, err := p.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		c.Connect(sa, func(err error) { results[c] = append(results[c], err) })
		for range 5 {
			p.Poll(2 * time.Millisecond)
		}
		if len(results[c]) > 0 {
			continue // accepted into the queue
		}
		c.Close()
		pump(t, p, "the closed connect", func() bool { return len(results[c]) > 0 })
		p.Poll(time.Millisecond)
		if len(results[c]) != 1 || !errors.Is(results[c][0], net.ErrClosed) {
			t.Fatalf("pending connect closed: %v", results[c])
		}
		return
	}
	t.Skip("every connect completed: no pending connect to close on this kernel")
}

// Poller.Close closes the FDs still open and completes their operations
// before it returns.
func TestPollerCloseCompletesPending(t *testing.T) {
	checkFDs(t)
	p, err := poll.New()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := socketpair(t, p)
	var rerr error
	reads := 0
	a.StartRead(readFuncs{func() []byte { return make([]byte, 8) }, func(_ []byte, _ int, err error) {
		reads++
		rerr = err
		if _, err := p.Poll(0); err == nil {
			t.Error("Poll from a callback of Close succeeded")
		}
	}})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if reads != 1 || !errors.Is(rerr, net.ErrClosed) {
		t.Fatalf("read: %d completions, %v", reads, rerr)
	}
}

func TestRegisterTwiceIsAnError(t *testing.T) {
	p := newPoller(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	if _, err := p.Register(fds[0]); err != nil {
		t.Fatal(err)
	}
	_, err = p.Register(fds[0])
	if !errors.Is(err, poll.ErrRegistered) || !strings.Contains(err.Error(), "fd "+itoa(fds[0])) {
		t.Fatalf("second Register: %v", err)
	}
	if err := p.AddReader(fds[0], func() {}); !errors.Is(err, poll.ErrRegistered) {
		t.Fatalf("AddReader on an FD's fd: %v", err)
	}
	// The other way: raw readiness first.
	if err := p.AddWriter(fds[1], func() {}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Register(fds[1]); !errors.Is(err, poll.ErrRegistered) || !strings.Contains(err.Error(), "fd "+itoa(fds[1])) {
		t.Fatalf("Register of a raw fd: %v", err)
	}
	p.RemoveWriter(fds[1])
	if _, err := p.Register(-1); err == nil {
		t.Fatal("Register(-1) succeeded")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// AddReader's callback runs at every Poll while the fd is readable, like
// asyncio's add_reader, and stops when drained or removed.
func TestAddReaderIsLevelTriggered(t *testing.T) {
	p := newPoller(t)
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	r, w := fds[0], fds[1]
	defer unix.Close(r)
	defer unix.Close(w)
	unix.Write(w, []byte("x"))
	calls, drain := 0, false
	if err := p.AddReader(r, func() {
		calls++
		if drain {
			var b [8]byte
			unix.Read(r, b[:])
		}
	}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if n, err := p.Poll(hangGuard); n != 1 || err != nil || calls != i {
			t.Fatalf("Poll %d while readable ran %d callbacks (%d calls), %v", i, n, calls, err)
		}
	}
	drain = true
	p.Poll(hangGuard)
	start := time.Now()
	if n, _ := p.Poll(20 * time.Millisecond); n != 0 || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("a drained reader ran %d callbacks", n)
	}
	// Replacing the callback keeps the registration.
	other := 0
	p.AddReader(r, func() { other++; var b [8]byte; unix.Read(r, b[:]) })
	unix.Write(w, []byte("y"))
	p.Poll(hangGuard)
	if other != 1 || calls != 4 {
		t.Fatalf("replaced reader: %d calls of the new one, %d of the old", other, calls)
	}
	if !p.RemoveReader(r) || p.RemoveReader(r) {
		t.Fatal("RemoveReader")
	}
	unix.Write(w, []byte("z"))
	if n, _ := p.Poll(10 * time.Millisecond); n != 0 {
		t.Fatal("a removed reader ran")
	}

	// A writer fires while writable; it may remove itself.
	wcalls := 0
	if err := p.AddWriter(w, func() {
		wcalls++
		if wcalls == 3 && !p.RemoveWriter(w) {
			t.Error("RemoveWriter from its own callback")
		}
	}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		p.Poll(5 * time.Millisecond)
	}
	if wcalls != 3 {
		t.Fatalf("writer ran %d times, want 3", wcalls)
	}

	// A regular file cannot be polled.
	f, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := p.AddReader(int(f.Fd()), func() {}); err == nil {
		t.Fatal("AddReader on a regular file succeeded")
	}
	if _, err := p.Register(int(f.Fd())); err == nil {
		t.Fatal("Register of a regular file succeeded")
	}
}

// A panic in a callback leaves Poll consistent: the readiness it had not
// used is served by the next Poll.
func TestPanicInCallbackLosesNoReadiness(t *testing.T) {
	p := newPoller(t)
	a, b := socketpair(t, p)
	c, d := socketpair(t, p)
	a.Write([][]byte{pattern(0, 100)}, nil)
	c.Write([][]byte{pattern(0, 100)}, nil)
	p.Poll(0)
	panicked := false
	s1, s2 := newSink(10), newSink(10)
	s1.start(t, b)
	s2.start(t, d)
	b.StartRead(readFuncs{s1.alloc, func(buf []byte, n int, err error) {
		s1.done(buf, n, err)
		if !panicked {
			panicked = true
			panic("callback failure")
		}
	}})
	func() {
		defer func() {
			if r := recover(); r != "callback failure" {
				t.Fatalf("recovered %v", r)
			}
		}()
		for range 100 {
			p.Poll(hangGuard)
		}
		t.Fatal("the callback never panicked")
	}()
	pump(t, p, "the rest", func() bool { return s1.got.Len() == 100 && s2.got.Len() == 100 })
	if !bytes.Equal(s1.got.Bytes(), pattern(0, 100)) || !bytes.Equal(s2.got.Bytes(), pattern(0, 100)) {
		t.Fatal("data lost or repeated across a panic")
	}
}

// A datagram socket returns one message per read, short of the buffer
// without being drained: readiness must survive short reads there.
func TestDatagramShortReadsKeepReadiness(t *testing.T) {
	p := newPoller(t)
	a, b := socketpairOf(t, p, unix.SOCK_DGRAM)
	var w writeResult
	for i := range 3 {
		a.Write([][]byte{[]byte("message "), {byte('0' + i)}}, writeFunc(w.done)) // one datagram each
	}
	pump(t, p, "the writes", func() bool { return w.calls == 3 })
	s := newSink(100)
	s.start(t, b)
	pump(t, p, "three datagrams", func() bool { return s.reads == 3 })
	if s.got.String() != "message 0message 1message 2" {
		t.Fatalf("got %q", s.got.String())
	}
}
