package poll_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/duet-go/duet/internal/poll"
	"golang.org/x/sys/unix"
)

// pump polls p until cond holds, failing t after hangGuard.
func pump(t testing.TB, p *poll.Poller, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		if _, err := p.Poll(100 * time.Millisecond); err != nil {
			t.Fatalf("Poll while waiting for %s: %v", what, err)
		}
	}
}

// socketpair returns both ends of a connected AF_UNIX stream socketpair,
// registered with p (its Close closes them).
func socketpair(t testing.TB, p *poll.Poller) (*poll.FD, *poll.FD) {
	t.Helper()
	return socketpairOf(t, p, unix.SOCK_STREAM)
}

// socketpairOf is socketpair for a socket type.
func socketpairOf(t testing.TB, p *poll.Poller, typ int) (*poll.FD, *poll.FD) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.Register(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Register(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// pattern returns n bytes of a sequence in which a lost, repeated or moved
// chunk shows.
func pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		x := off + i
		b[i] = byte(x ^ x>>8 ^ x>>16*3)
	}
	return b
}

// sink collects what a reading FD delivers, through one buffer it lends
// again and again.
type sink struct {
	buf   []byte
	got   bytes.Buffer
	reads int
	eofs  int
	err   error // the last error other than EOF
	lent  bool  // the buffer is with the poller
}

func (s *sink) alloc() []byte {
	if s.lent {
		panic("alloc called while the buffer was lent")
	}
	s.lent = true
	return s.buf
}

func (s *sink) done(b []byte, n int, err error) {
	if b != nil && (!s.lent || &b[0] != &s.buf[0]) {
		panic("done with a buffer that was not lent")
	}
	s.lent = false
	s.reads++
	s.got.Write(b[:n])
	switch {
	case err == nil:
	case n != 0:
		panic("done with both bytes and an error")
	case errors.Is(err, io.EOF):
		s.eofs++
	default:
		s.err = err
	}
}

func (s *sink) start(t testing.TB, f *poll.FD) {
	t.Helper()
	s.lent = false // StartRead takes back a buffer done never reported
	if err := f.StartRead(readFuncs{s.alloc, s.done}); err != nil {
		t.Fatal(err)
	}
}

func newSink(size int) *sink { return &sink{buf: make([]byte, size)} }

// writeResult records the completions of one Write.
type writeResult struct {
	calls int
	n     int
	err   error
	order int
}

var writeSeq int

func (w *writeResult) done(n int, err error) {
	w.calls++
	w.n, w.err = n, err
	writeSeq++
	w.order = writeSeq
}

// loopback returns a listening TCP socket on 127.0.0.1 and its address.
func loopback(t testing.TB, p *poll.Poller, backlog int) (*poll.FD, *unix.SockaddrInet4) {
	t.Helper()
	l, err := p.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(l.Fd(), &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(l.Fd(), backlog); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(l.Fd())
	if err != nil {
		t.Fatal(err)
	}
	return l, sa.(*unix.SockaddrInet4)
}

// tcpPair returns both ends of a loopback TCP connection made through the
// poller.
func tcpPair(t testing.TB, p *poll.Poller) (client, server *poll.FD) {
	t.Helper()
	l, sa := loopback(t, p, 8)
	defer l.Close()
	c, err := p.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	connected, accepted := false, false
	var cerr, aerr error
	if err := c.Connect(sa, func(err error) { connected, cerr = true, err }); err != nil {
		t.Fatal(err)
	}
	if err := l.Accept(func(f *poll.FD, _ poll.Sockaddr, err error) { accepted, server, aerr = true, f, err }); err != nil {
		t.Fatal(err)
	}
	pump(t, p, "connect and accept", func() bool { return connected && accepted })
	if cerr != nil || aerr != nil {
		t.Fatalf("connect: %v, accept: %v", cerr, aerr)
	}
	return c, server
}

// readFuncs is a poll.Reader made of two funcs, and writeFunc a
// poll.Writer made of one, for the tests' closures.
type readFuncs struct {
	alloc func() []byte
	done  func(buf []byte, n int, err error)
}

func (r readFuncs) ReadBuffer() []byte                    { return r.alloc() }
func (r readFuncs) ReadDone(buf []byte, n int, err error) { r.done(buf, n, err) }

type writeFunc func(n int, err error)

func (f writeFunc) WriteDone(n int, err error) { f(n, err) }
