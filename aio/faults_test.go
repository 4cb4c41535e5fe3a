package aio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// panicker is a server-side echo protocol that panics in the callback
// named at ("" for none) after recording it.
type panicker struct {
	*rec
	at string
}

func (p *panicker) boom(where string) {
	if p.at == where {
		panic("boom in " + where)
	}
}

func (p *panicker) ConnectionMade(t aio.Transport) { p.rec.ConnectionMade(t); p.boom("ConnectionMade") }
func (p *panicker) DataReceived(b []byte) {
	p.rec.DataReceived(b)
	p.boom("DataReceived")
	p.t.Write(b)
}
func (p *panicker) EOFReceived() bool        { p.rec.EOFReceived(); p.boom("EOFReceived"); return false }
func (p *panicker) ConnectionLost(err error) { p.rec.ConnectionLost(err); p.boom("ConnectionLost") }

// A panic in the protocol factory or in any protocol callback ends that
// connection only: it is reported once through the exception handler, a
// connection opened before goes on echoing, the server accepts and serves
// the next one, and its WaitClosed still sees every connection go.
func TestPanicInProtocolClosesThatConnectionOnly(t *testing.T) {
	for _, at := range []string{"factory", "ConnectionMade", "DataReceived", "EOFReceived", "ConnectionLost"} {
		t.Run(at, func(t *testing.T) {
			runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
				var made []*panicker
				n := 0
				s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
					p := &panicker{rec: newRec()}
					if n++; n == 2 { // the second connection
						if at == "factory" {
							panic("boom in the factory")
						}
						p.at = at
					}
					made = append(made, p)
					return p
				})
				if err != nil {
					return err
				}
				addr := s.Addrs()[0].String()
				echoes := func(c *rec, msg string) error {
					c.data = nil
					c.t.Write([]byte(msg))
					return until(ctx, "the echo of "+msg, func() bool { return string(c.data) == msg })
				}
				before, victim, after := newRec(), newRec(), newRec()
				if err := dial(ctx, addr, before); err != nil {
					return err
				}
				if err := echoes(before, "first"); err != nil {
					return err
				}
				if err := dial(ctx, addr, victim); err != nil {
					return err
				}
				victim.t.Write([]byte("x"))
				victim.t.WriteEOF()
				if _, err := duet.Await(ctx, victim.lost); err != nil { // the server's side ended it
					return err
				}
				if err := until(ctx, "the report", func() bool { return len(*reports) > 0 }); err != nil {
					return err
				}
				var pe *duet.PanicError
				if len(*reports) != 1 || !errors.As((*reports)[0].Err, &pe) || !strings.Contains(fmt.Sprint(pe.Value), "boom") {
					return fmt.Errorf("reports: %+v, want one with the panic", *reports)
				}
				if at != "factory" && at != "ConnectionLost" {
					lost, _ := made[1].lost.Result()
					if !errors.As(lost, &pe) {
						return fmt.Errorf("the panicking side's ConnectionLost(%v), want the PanicError", lost)
					}
				}
				if err := echoes(before, "still fine"); err != nil {
					return err
				}
				if err := dial(ctx, addr, after); err != nil {
					return err
				}
				if err := echoes(after, "next"); err != nil {
					return err
				}
				s.Close()
				before.t.Close()
				after.t.Close()
				return s.WaitClosed(ctx)
			})
		})
	}
}

// sockets returns this process's open sockets: fd -> "socket:[inode]".
func sockets(t *testing.T) map[int]string {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	m := map[int]string{}
	for _, e := range es {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			m[fd] = l
		}
	}
	return m
}

// An fd registered twice: AddReader and AddWriter on the socket of a loop
// transport are refused with an error naming the fd and what to do, and
// the connection is untouched; a second AddReader on a raw fd replaces the
// first callback (asyncio's add_reader does the same).
func TestAddWatchOnATransportsSocket(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		s, addr, srv, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		defer s.Close()
		before := sockets(t)
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if err := until(ctx, "the server's side", func() bool { return len(*srv) == 1 }); err != nil {
			return err
		}
		socks := 0
		for fd, sock := range sockets(t) {
			if before[fd] == sock {
				continue
			}
			socks++
			for _, add := range []func(int, func()) error{l.AddReader, l.AddWriter} {
				err := add(fd, func() { panic("called") })
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("(%d)", fd)) || !strings.Contains(err.Error(), "use the transport") {
					return fmt.Errorf("watching transport fd %d: %v", fd, err)
				}
			}
		}
		if socks != 2 {
			return fmt.Errorf("found %d new sockets, want the connection's 2", socks)
		}
		c.t.Write([]byte("untouched"))
		if err := until(ctx, "the echo", func() bool { return string(c.data) == "untouched" }); err != nil {
			return err
		}
		c.t.Close()
		if _, err := duet.Await(ctx, c.lost); err != nil {
			return err
		}

		a, b := socketpair(t)
		first, second := 0, 0
		if err := l.AddReader(a, func() { first++ }); err != nil {
			return err
		}
		if err := l.AddReader(a, func() { second++; l.RemoveReader(a) }); err != nil {
			return fmt.Errorf("a second AddReader: %v", err)
		}
		unix.Write(b, []byte("x"))
		if err := until(ctx, "the second reader", func() bool { return second > 0 }); err != nil {
			return err
		}
		if first != 0 {
			return fmt.Errorf("the replaced reader ran %d times", first)
		}
		return nil
	})
}

// A server still listening, with a connection open, when its loop closes
// ends quietly: no report (its accept completes with the listening
// socket's close), every descriptor closed.
func TestServerOpenAtLoopClose(t *testing.T) {
	before := openFDs(t)
	var reports []aio.ExceptionContext
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		_, addr, srv, err := serve(ctx, echo)
		if err != nil {
			return err
		}
		if _, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper); err != nil {
			return err
		}
		c := newRec()
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		return until(ctx, "the server's side", func() bool { return len(*srv) == 1 })
	}, aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) { reports = append(reports, ec) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) > 0 {
		t.Fatalf("reported: %+v", reports)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

// An unparsable address or a port in use is refused by every entry point
// with an error naming the address and saying what would do.
func TestBadAddressesSayHowToFix(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		mk := func() aio.BaseProtocol { return newRec() }
		calls := map[string]func(addr string) error{
			"CreateConnection": func(a string) error { _, _, err := l.CreateConnection(ctx, "tcp", a, mk); return err },
			"CreateServer": func(a string) error {
				s, err := l.CreateServer(ctx, "tcp", a, mk)
				if s != nil {
					s.Close()
				}
				return err
			},
			"Dial": func(a string) error { _, err := aio.Dial(ctx, "tcp", a); return err },
			"Listen": func(a string) error {
				s, err := aio.Listen(ctx, "tcp", a, upper)
				if s != nil {
					s.Close()
				}
				return err
			},
		}
		bad := map[string]string{
			"no port here":              "want HOST:PORT",
			"127.0.0.1:99999":           "0 to 65535",
			"127.0.0.1:no-such-service": "0 to 65535",
		}
		for name, call := range calls {
			for addr, fix := range bad {
				if err := call(addr); err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), fix) {
					return fmt.Errorf("%s(%q): %v; want the address and %q", name, addr, err, fix)
				}
			}
		}
		s, err := l.CreateServer(ctx, "tcp4", "127.0.0.1:0", mk)
		if err != nil {
			return err
		}
		defer s.Close()
		inUse := s.Addrs()[0].String()
		for _, name := range []string{"CreateServer", "Listen"} {
			if err := calls[name](inUse); !errors.Is(err, unix.EADDRINUSE) || !strings.Contains(err.Error(), inUse) || !strings.Contains(err.Error(), "port 0") {
				return fmt.Errorf("%s on a port in use: %v; want EADDRINUSE, the address and the fix", name, err)
			}
		}
		return nil
	})
}

// A stream written after Close, over a real connection, from its task and
// from a goroutine, directly and through its net.Conn view, is refused
// with an error that says the stream is closed (matching net.ErrClosed);
// the bytes written before Close reach the peer.
func TestStreamWrittenAfterClose(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		got := duet.NewFuture[string]()
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			b, err := s.Read(ctx, 100)
			got.Complete(string(b), err)
			return nil
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		s, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		s.Write(ctx, []byte("before"))
		s.Close()
		closed := func(where string, err error) error {
			if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "stream is closed") {
				return fmt.Errorf("a write after Close %s: %v", where, err)
			}
			return nil
		}
		if err := closed("from its task", s.Write(ctx, []byte("after"))); err != nil {
			return err
		}
		if err := await(ctx, inGoroutine(func(gctx context.Context) error {
			if err := closed("from a goroutine", s.Write(gctx, []byte("after"))); err != nil {
				return err
			}
			_, err := s.NetConn().Write([]byte("after"))
			return closed("through NetConn", err)
		})); err != nil {
			return err
		}
		if b, err := duet.Await(ctx, got); b != "before" || err != nil {
			return fmt.Errorf("the peer read %q, %v; want %q", b, err, "before")
		}
		return s.WaitClosed(ctx)
	})
}

// A peer process that vanishes: one killed (its kernel closes the
// connection) ends the server's connection at once, with or without an
// idle timeout; one frozen (SIGSTOP: no FIN, no reset, nothing read or
// sent, as a peer behind a dead link) is closed by the idle timeout. The
// other connections go on.
func TestPeerProcessVanishes(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const script = `import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"hi")
time.sleep(3600)`
	for _, how := range []string{"killed", "frozen"} {
		t.Run(how, func(t *testing.T) {
			runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
				s, addr, srv, err := serve(ctx, echo, aio.WithIdleTimeout(300*time.Millisecond))
				if err != nil {
					return err
				}
				defer s.Close()
				other := newRec()
				if err := dial(ctx, addr, other); err != nil {
					return err
				}
				stop := pinger(ctx, other, 10*time.Millisecond)
				_, port, _ := net.SplitHostPort(addr)
				cmd := exec.Command(py, "-c", script, port)
				if err := cmd.Start(); err != nil {
					return err
				}
				waited := false
				defer func() {
					if !waited {
						cmd.Process.Kill()
						cmd.Wait()
					}
				}()
				var peer *rec
				if err := until(ctx, "the peer's bytes", func() bool {
					for _, r := range *srv {
						if string(r.data) == "hi" {
							peer = r
						}
					}
					return peer != nil
				}); err != nil {
					return err
				}
				if how == "killed" {
					cmd.Process.Kill()
				} else {
					cmd.Process.Signal(syscall.SIGSTOP)
				}
				lost, err := duet.Await(ctx, peer.lost)
				if err != nil {
					return err
				}
				switch {
				case how == "killed" && lost != nil && !isReset(lost):
					return fmt.Errorf("a killed peer: ConnectionLost(%v), want nil (its FIN) or a reset", lost)
				case how == "frozen":
					if err := isIdleTimeout(lost); err != nil {
						return fmt.Errorf("a frozen peer: %w", err)
					}
				}
				cmd.Process.Kill()
				if _, err := aio.ToThread(ctx, func(context.Context) (struct{}, error) { cmd.Wait(); return struct{}{}, nil }); err != nil {
					return err
				}
				waited = true
				if other.lost.IsDone() {
					return errors.New("the other connection was closed")
				}
				if err := stop(); err != nil {
					return err
				}
				other.t.Close()
				if _, err := duet.Await(ctx, other.lost); err != nil {
					return err
				}
				return noReports(reports)
			})
		})
	}
}
