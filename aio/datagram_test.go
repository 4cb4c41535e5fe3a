//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// drec is a DatagramProtocol that records what happens to its endpoint;
// onDgram, when set, is called after each datagram is recorded.
type drec struct {
	t       aio.DatagramTransport
	got     [][]byte
	from    []net.Addr
	errs    []error
	lost    *duet.Future[error]
	onDgram func(r *drec, p []byte, addr net.Addr)
}

func newDrec() *drec { return &drec{lost: duet.NewFuture[error]()} }

func (r *drec) ConnectionMade(t aio.DatagramTransport) { r.t = t }
func (r *drec) DatagramReceived(p []byte, addr net.Addr) {
	r.got = append(r.got, append([]byte(nil), p...))
	r.from = append(r.from, addr)
	if r.onDgram != nil {
		r.onDgram(r, p, addr)
	}
}
func (r *drec) ErrorReceived(err error)  { r.errs = append(r.errs, err) }
func (r *drec) ConnectionLost(err error) { r.lost.SetResult(err) }

// dechoServer returns a drec that sends every datagram back to its sender.
func dechoServer() *drec {
	r := newDrec()
	r.onDgram = func(r *drec, p []byte, addr net.Addr) {
		if err := r.t.SendTo(p, addr); err != nil {
			r.errs = append(r.errs, err)
		}
	}
	return r
}

func endpoint(ctx context.Context, network, local, remote string, r *drec, opts ...aio.DatagramOption) error {
	_, _, err := aio.LoopOf(ctx).CreateDatagramEndpoint(ctx, network, local, remote, func() aio.DatagramProtocol { return r }, opts...)
	return err
}

func closeAndWait(ctx context.Context, rs ...*drec) error {
	for _, r := range rs {
		r.t.Close()
		if err, _ := duet.Await(ctx, r.lost); err != nil {
			return fmt.Errorf("ConnectionLost(%v) after Close, want nil", err)
		}
	}
	return nil
}

func TestUDPEchoUnconnected(t *testing.T) {
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, cli := dechoServer(), newDrec()
		if err := endpoint(ctx, "udp", "127.0.0.1:0", "", srv); err != nil {
			return err
		}
		if err := endpoint(ctx, "udp4", "127.0.0.1:0", "", cli); err != nil {
			return err
		}
		if cli.t.RemoteAddr() != nil {
			return fmt.Errorf("an unconnected endpoint's RemoteAddr is %v, want nil", cli.t.RemoteAddr())
		}
		to := srv.t.LocalAddr()
		for _, m := range []string{"one", "", "three"} {
			if err := cli.t.SendTo([]byte(m), to); err != nil {
				return err
			}
		}
		if err := until(ctx, "three echoes", func() bool { return len(cli.got) == 3 }); err != nil {
			return err
		}
		for i, want := range []string{"one", "", "three"} {
			if string(cli.got[i]) != want {
				return fmt.Errorf("echo %d is %q, want %q", i, cli.got[i], want)
			}
			if cli.from[i].String() != to.String() {
				return fmt.Errorf("echo %d came from %v, want %v", i, cli.from[i], to)
			}
			if srv.from[i].String() != cli.t.LocalAddr().String() {
				return fmt.Errorf("the server saw datagram %d from %v, want %v", i, srv.from[i], cli.t.LocalAddr())
			}
		}
		if err := cli.t.Send([]byte("x")); err == nil {
			return errors.New("Send on an unconnected endpoint succeeded")
		}
		if err := cli.t.SendTo([]byte("x"), nil); err == nil || !strings.Contains(err.Error(), "no address") {
			return fmt.Errorf("SendTo(nil) unconnected: %v, want an error saying the address is missing", err)
		}
		if len(srv.errs)+len(cli.errs) != 0 {
			return fmt.Errorf("errors received: %v %v", srv.errs, cli.errs)
		}
		return closeAndWait(ctx, srv, cli)
	})
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

func TestUDPConnectedEchoAndPortUnreachable(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv := dechoServer()
		if err := endpoint(ctx, "udp", "127.0.0.1:0", "", srv); err != nil {
			return err
		}
		cli := newDrec()
		if err := endpoint(ctx, "udp", "", srv.t.LocalAddr().String(), cli); err != nil {
			return err
		}
		if got := cli.t.RemoteAddr(); got == nil || got.String() != srv.t.LocalAddr().String() {
			return fmt.Errorf("RemoteAddr %v, want %v", got, srv.t.LocalAddr())
		}
		if err := cli.t.Send([]byte("ping")); err != nil {
			return err
		}
		if err := cli.t.SendTo([]byte("pong"), srv.t.LocalAddr()); err != nil {
			return fmt.Errorf("SendTo the remote address on a connected endpoint: %v", err)
		}
		if err := until(ctx, "two echoes", func() bool { return len(cli.got) == 2 }); err != nil {
			return err
		}
		if string(cli.got[0]) != "ping" || string(cli.got[1]) != "pong" {
			return fmt.Errorf("echoes %q", cli.got)
		}
		other := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
		if err := cli.t.SendTo([]byte("x"), other); err == nil || !strings.Contains(err.Error(), "connected to") {
			return fmt.Errorf("SendTo another address on a connected endpoint: %v, want an error naming the remote", err)
		}
		// The server goes away: the next datagram draws an ICMP port
		// unreachable, which the connected socket reports.
		if err := closeAndWait(ctx, srv); err != nil {
			return err
		}
		// ErrorReceived hears it; a datagram is sent again now and then in
		// case an ICMP message was rate-limited away (a send that meets
		// the refusal first reports it itself, and does not count).
		cli.t.Send([]byte("anyone?"))
		tries := 0
		if err := until(ctx, "ErrorReceived(ECONNREFUSED)", func() bool {
			for _, e := range cli.errs {
				if errors.Is(e, syscall.ECONNREFUSED) {
					return true
				}
			}
			if tries++; tries%100 == 0 {
				cli.t.Send([]byte("anyone?"))
			}
			return false
		}); err != nil {
			return err
		}
		if cli.t.IsClosing() {
			return errors.New("the endpoint closed after an ICMP error; it should go on")
		}
		return closeAndWait(ctx, cli)
	})
}

func TestUDPOversizeDatagram(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		cli := newDrec()
		if err := endpoint(ctx, "udp4", "127.0.0.1:0", "127.0.0.1:9", cli); err != nil {
			return err
		}
		err := cli.t.Send(make([]byte, 70000))
		if !errors.Is(err, syscall.EMSGSIZE) || !strings.Contains(err.Error(), "70000 bytes") || !strings.Contains(err.Error(), "65507") {
			return fmt.Errorf("an oversize send: %v, want EMSGSIZE naming 70000 bytes and the 65507 limit", err)
		}
		return closeAndWait(ctx, cli)
	})
}

func TestUDPOptions(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		// Reuse port: two endpoints on one port, both receiving.
		a, b := newDrec(), newDrec()
		if err := endpoint(ctx, "udp4", "127.0.0.1:0", "", a, aio.WithDatagramReusePort()); err != nil {
			return err
		}
		addr := a.t.LocalAddr().String()
		if err := endpoint(ctx, "udp4", addr, "", b, aio.WithDatagramReusePort()); err != nil {
			return fmt.Errorf("a second endpoint with WithDatagramReusePort on %s: %v", addr, err)
		}
		without := newDrec()
		if err := endpoint(ctx, "udp4", addr, "", without); !errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("an endpoint without WithDatagramReusePort on a taken port: %v, want EADDRINUSE", err)
		}
		// Datagrams from many source ports are spread over both sockets by
		// the kernel's hash; each gets some.
		var senders []*drec
		for i := 0; i < 32; i++ {
			s := newDrec()
			if err := endpoint(ctx, "udp4", "127.0.0.1:0", addr, s); err != nil {
				return err
			}
			senders = append(senders, s)
			s.t.Send([]byte("hi"))
		}
		if err := until(ctx, "32 datagrams across both", func() bool { return len(a.got)+len(b.got) == 32 }); err != nil {
			return err
		}
		if len(a.got) == 0 || len(b.got) == 0 {
			return fmt.Errorf("reuse-port sockets got %d and %d of 32 datagrams from 32 ports; both should get some", len(a.got), len(b.got))
		}
		// Broadcast: without the option a send to the broadcast address is
		// refused with EACCES; with it the socket lets it through (the
		// network may still have no route for it).
		bcast := &net.UDPAddr{IP: net.IPv4bcast, Port: 9}
		plain, bc := newDrec(), newDrec()
		if err := endpoint(ctx, "udp4", "0.0.0.0:0", "", plain); err != nil {
			return err
		}
		if err := plain.t.SendTo([]byte("all?"), bcast); !errors.Is(err, syscall.EACCES) {
			return fmt.Errorf("a broadcast without WithAllowBroadcast: %v, want EACCES", err)
		}
		if err := endpoint(ctx, "udp4", "0.0.0.0:0", "", bc, aio.WithAllowBroadcast()); err != nil {
			return err
		}
		if err := bc.t.SendTo([]byte("all!"), bcast); errors.Is(err, syscall.EACCES) {
			return fmt.Errorf("a broadcast with WithAllowBroadcast: %v", err)
		}
		senders = append(senders, plain)
		if err := closeAndWait(ctx, append(senders, a, b, bc)...); err != nil {
			return err
		}
		return nil
	})
}

func TestUDPBadInput(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		r := newDrec()
		for _, c := range []struct{ network, local, remote, want string }{
			{"udp", "127.0.0.1", "", "missing port"},
			{"udp", "", "localhost:notaport", "remote address"},
			{"udp7", ":0", "", "unknown network"},
			{"udp4", "[::1]:0", "", "no ip4 address"},
			{"udp", "127.0.0.1:0", "[::1]:53", "no address family in common"},
		} {
			err := endpoint(ctx, c.network, c.local, c.remote, r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				return fmt.Errorf("CreateDatagramEndpoint(%q, %q, %q): %v, want an error saying %q", c.network, c.local, c.remote, err, c.want)
			}
		}
		l := aio.LoopOf(ctx)
		if err := endpoint(ctx, "unixgram", "", "", r, aio.WithDatagramReusePort()); err == nil || !strings.Contains(err.Error(), "for UDP") {
			return fmt.Errorf("unixgram with WithDatagramReusePort: %v, want an error saying it is for UDP", err)
		}
		if _, _, err := l.CreateDatagramEndpoint(ctx, "udp", ":0", "", nil); err == nil {
			return errors.New("a nil factory was accepted")
		}
		if _, _, err := l.CreateDatagramEndpoint(ctx, "udp", ":0", "", func() aio.DatagramProtocol { return nil }); err == nil || !strings.Contains(err.Error(), "returned nil") {
			return fmt.Errorf("a factory returning nil: %v", err)
		}
		var pe *duet.PanicError
		if _, _, err := l.CreateDatagramEndpoint(ctx, "udp", ":0", "", func() aio.DatagramProtocol { panic("boom") }); !errors.As(err, &pe) {
			return fmt.Errorf("a factory that panics: %v, want a *duet.PanicError", err)
		}
		// Off the loop: refused, not raced.
		res := make(chan error, 1)
		go func() {
			_, _, err := l.CreateDatagramEndpoint(l.Context(), "udp", ":0", "", func() aio.DatagramProtocol { return newDrec() })
			res <- err
		}()
		if err := <-res; err == nil || !strings.Contains(err.Error(), "task of the loop") {
			return fmt.Errorf("CreateDatagramEndpoint from a goroutine: %v, want an error saying to call it from a task", err)
		}
		return nil
	})
}

// TestUnixgramEcho also checks the stale-socket rule: a socket file left at
// the path is replaced, a regular file is not, and Close removes the file.
func TestUnixgramEcho(t *testing.T) {
	dir := t.TempDir()
	spath, cpath := dir+"/srv.sock", dir+"/cli.sock"
	// A stale socket file: bound by a socket that is gone.
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: spath}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, cli := dechoServer(), newDrec()
		if err := endpoint(ctx, "unixgram", spath, "", srv); err != nil {
			return fmt.Errorf("over a stale socket file: %v", err)
		}
		if err := endpoint(ctx, "unixgram", cpath, spath, cli); err != nil {
			return err
		}
		big := bytes.Repeat([]byte("u"), 60000)
		cli.t.Send([]byte("hello"))
		cli.t.Send(big)
		if err := until(ctx, "two echoes", func() bool { return len(cli.got) == 2 }); err != nil {
			return err
		}
		if string(cli.got[0]) != "hello" || !bytes.Equal(cli.got[1], big) {
			return fmt.Errorf("echoes of %d and %d bytes", len(cli.got[0]), len(cli.got[1]))
		}
		if got := srv.from[0]; got == nil || got.String() != cpath {
			return fmt.Errorf("the server saw the datagram from %v, want %s", got, cpath)
		}
		if err := closeAndWait(ctx, srv, cli); err != nil {
			return err
		}
		if err := unix.Lstat(spath, new(unix.Stat_t)); !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("the socket file is still there after Close (%v)", err)
		}
		return nil
	})
}

// fcDrec is a drec that counts its transport's flow-control calls.
type fcDrec struct {
	*drec
	pauses, resumes int
}

func (r *fcDrec) PauseWriting()  { r.pauses++ }
func (r *fcDrec) ResumeWriting() { r.resumes++ }

// Datagrams the socket does not take are buffered, in order, with
// PauseWriting above the high watermark and ResumeWriting once drained;
// Close sends what is buffered before the endpoint closes.
func TestDatagramWriteBufferFlowControl(t *testing.T) {
	path := t.TempDir() + "/sink.sock"
	sink, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sink)
	if err := unix.Bind(sink, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		r := &fcDrec{drec: newDrec()}
		if _, _, err := aio.LoopOf(ctx).CreateDatagramEndpoint(ctx, "unixgram", "", path, func() aio.DatagramProtocol { return r }); err != nil {
			return err
		}
		const n, size = 200, 1000
		for i := 0; i < n; i++ {
			msg := bytes.Repeat([]byte{byte(i)}, size)
			if err := r.t.Send(msg); err != nil {
				return fmt.Errorf("send %d: %v", i, err)
			}
		}
		// Nobody reads the sink yet: its queue is full, the rest buffered.
		if w := r.t.WriteBufferSize(); w <= 64<<10 || r.pauses != 1 {
			return fmt.Errorf("after %d sends to a full socket: WriteBufferSize %d, %d PauseWriting; want over 64 KiB and 1", n, w, r.pauses)
		}
		r.t.Close()
		if !r.t.IsClosing() {
			return errors.New("IsClosing is false after Close")
		}
		if err := r.t.Send([]byte("late")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Send after Close: %v, want net.ErrClosed", err)
		}
		got, err := aio.ToThread(ctx, func(context.Context) (int, error) {
			buf := make([]byte, 2*size)
			for i := 0; i < n; i++ {
				k, _, err := unix.Recvfrom(sink, buf, 0)
				if err != nil {
					return i, err
				}
				if k != size || buf[0] != byte(i) || buf[k-1] != byte(i) {
					return i, fmt.Errorf("datagram %d: %d bytes of %d", i, k, buf[0])
				}
			}
			return n, nil
		})
		if err != nil || got != n {
			return fmt.Errorf("the sink read %d of %d datagrams: %v", got, n, err)
		}
		if err, _ := duet.Await(ctx, r.lost); err != nil {
			return fmt.Errorf("ConnectionLost(%v), want nil after the buffer drained", err)
		}
		if r.resumes != 1 || r.t.WriteBufferSize() != 0 {
			return fmt.Errorf("%d ResumeWriting, WriteBufferSize %d after the drain; want 1 and 0", r.resumes, r.t.WriteBufferSize())
		}
		return nil
	})
}

// A Unix datagram longer than the 64 KiB receive buffer is reported, not
// delivered cut short; the endpoint goes on.
func TestUnixgramTruncatedIsErrorReceived(t *testing.T) {
	path := t.TempDir() + "/big.sock"
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, cli := newDrec(), newDrec()
		if err := endpoint(ctx, "unixgram", path, "", srv); err != nil {
			return err
		}
		if err := endpoint(ctx, "unixgram", "", path, cli); err != nil {
			return err
		}
		if err := cli.t.Send(make([]byte, 100000)); err != nil {
			return err
		}
		cli.t.Send([]byte("small"))
		if err := until(ctx, "the small datagram", func() bool { return len(srv.got) == 1 }); err != nil {
			return err
		}
		if string(srv.got[0]) != "small" || srv.from[0] != nil {
			return fmt.Errorf("got %q from %v, want \"small\" from an unnamed socket (nil)", srv.got[0], srv.from[0])
		}
		if len(srv.errs) != 1 || !errors.Is(srv.errs[0], syscall.EMSGSIZE) || !strings.Contains(srv.errs[0].Error(), "65536-byte") {
			return fmt.Errorf("ErrorReceived %v, want one EMSGSIZE naming the 65536-byte buffer", srv.errs)
		}
		return closeAndWait(ctx, srv, cli)
	})
}

// asyncio's create_datagram_endpoint talks to a duet UDP echo endpoint.
func TestUDPPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv := dechoServer()
		if err := endpoint(ctx, "udp4", "127.0.0.1:0", "", srv); err != nil {
			return err
		}
		script := `
import asyncio, sys
class Client(asyncio.DatagramProtocol):
    def __init__(self, done): self.done = done
    def connection_made(self, t): t.sendto(b"hello from asyncio")
    def datagram_received(self, data, addr): self.done.set_result(data)
async def main():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    host, port = sys.argv[1].rsplit(":", 1)
    t, _ = await loop.create_datagram_endpoint(lambda: Client(done), remote_addr=(host, int(port)))
    print((await asyncio.wait_for(done, 10)).decode())
    t.close()
asyncio.run(main())
`
		out, err := aio.ToThread(ctx, func(context.Context) ([]byte, error) {
			return exec.Command(py, "-c", script, srv.t.LocalAddr().String()).CombinedOutput()
		})
		if err != nil || string(out) != "hello from asyncio\n" {
			return fmt.Errorf("python3: %q, %v", out, err)
		}
		return closeAndWait(ctx, srv)
	})
}

// IPv6, where the system has it; a "udp" endpoint on every address is
// dual-stack and answers IPv4 senders too.
func TestUDPIPv6AndDualStack(t *testing.T) {
	if c, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv := dechoServer()
		if err := endpoint(ctx, "udp", ":0", "", srv); err != nil {
			return err
		}
		port := srv.t.LocalAddr().(*net.UDPAddr).Port
		for _, remote := range []string{fmt.Sprintf("[::1]:%d", port), fmt.Sprintf("127.0.0.1:%d", port)} {
			cli := newDrec()
			if err := endpoint(ctx, "udp", "", remote, cli); err != nil {
				return err
			}
			cli.t.Send([]byte(remote))
			if err := until(ctx, "the echo from "+remote, func() bool { return len(cli.got) == 1 }); err != nil {
				return err
			}
			if string(cli.got[0]) != remote {
				return fmt.Errorf("echo %q, want %q", cli.got[0], remote)
			}
			if err := closeAndWait(ctx, cli); err != nil {
				return err
			}
		}
		// The dual-stack server answers an IPv4 sender at its IPv4 address.
		if got := srv.from[1].(*net.UDPAddr).IP; got.To4() == nil {
			return fmt.Errorf("the IPv4 sender's address is %v, want an IPv4 one", got)
		}
		return closeAndWait(ctx, srv)
	})
}
