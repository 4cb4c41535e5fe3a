package aio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// isIdleTimeout checks err the way a user would: the sentinel, the
// standard library's deadline error, and net.Error's Timeout.
func isIdleTimeout(err error) error {
	var ne net.Error
	if !errors.Is(err, aio.ErrIdleTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		return fmt.Errorf("lost with %v, want aio.ErrIdleTimeout matching os.ErrDeadlineExceeded, a net.Error with Timeout", err)
	}
	return nil
}

// noReports fails if the exception handler heard anything: an idle
// timeout is the server's policy, not an exception.
func noReports(reports *[]aio.ExceptionContext) error {
	if len(*reports) > 0 {
		return fmt.Errorf("reported: %+v", *reports)
	}
	return nil
}

// lostToIdleTimeout waits for r's ConnectionLost and checks its error.
func lostToIdleTimeout(ctx context.Context, r *rec, what string) error {
	lost, err := duet.Await(ctx, r.lost)
	if err != nil {
		return err
	}
	if err := isIdleTimeout(lost); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// idleTimeoutServer serves recording protocols (no echo: a read alone
// must count as activity) closed after idling for d, and records when the
// loop made each.
func idleTimeoutServer(ctx context.Context, d time.Duration) (*aio.Server, string, *[]*rec, map[*rec]time.Time, error) {
	l := aio.LoopOf(ctx)
	made := map[*rec]time.Time{}
	s, addr, srv, err := serve(ctx, func() *rec {
		r := newRec()
		r.onMade = func(r *rec) { made[r] = l.Time() }
		return r
	}, aio.WithIdleTimeout(d))
	return s, addr, srv, made, err
}

// pinger writes a byte to c every `every` until stopped.
func pinger(ctx context.Context, c *rec, every time.Duration) (stop func() error) {
	var done duet.Event
	f := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		for !done.IsSet() {
			if err := c.t.Write([]byte("p")); err != nil {
				return struct{}{}, err
			}
			if err := duet.Sleep(ctx, every); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return func() error {
		done.Set()
		_, err := duet.Await(ctx, f)
		return err
	}
}

// A client that sends one byte and then idles is closed by the server's
// idle timeout, its protocol told ErrIdleTimeout, no sooner than the
// timeout; on the same server a client that keeps sending, and one that
// only receives (the server keeps writing), stay open for several
// timeouts; nothing is reported as an exception. Under a real clock with
// a short timeout, and under a virtual clock with an hour's, which is the
// loop's: it closes the idle client in the loop's time between one hour
// and an hour and a quarter (the sweeps are a quarter of it apart), and
// takes no hour of real time.
func TestIdleTimeoutProtocol(t *testing.T) {
	t.Run("real clock", func(t *testing.T) { testIdleTimeout(t, false, 500*time.Millisecond, 10*time.Millisecond) })
	t.Run("virtual clock", func(t *testing.T) { testIdleTimeout(t, true, time.Hour, 10*time.Minute) })
}

// testIdleTimeout is TestIdleTimeoutProtocol with a timeout d and the
// active clients sending every `every`.
func testIdleTimeout(t *testing.T, virtual bool, d, every time.Duration) {
	var opts []aio.Option
	if virtual {
		opts = append(opts, aio.WithVirtualClock())
	}
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		s, addr, srv, made, err := idleTimeoutServer(ctx, d)
		if err != nil {
			return err
		}
		defer s.Close()
		clients := []*rec{newRec(), newRec(), newRec()}
		for i, c := range clients {
			if err := dial(ctx, addr, c); err != nil {
				return err
			}
			if err := until(ctx, "the server's side", func() bool { return len(*srv) == i+1 }); err != nil {
				return err
			}
		}
		active, download, idle := clients[0], clients[1], clients[2]
		srvActive, srvDownload, srvIdle := (*srv)[0], (*srv)[1], (*srv)[2]
		stopActive := pinger(ctx, active, every)
		stopDownload := pinger(ctx, srvDownload, every)
		idle.t.Write([]byte("x"))
		if err := lostToIdleTimeout(ctx, srvIdle, "the idle connection"); err != nil {
			return err
		}
		if string(srvIdle.data) != "x" {
			return fmt.Errorf("the idle connection received %q, want %q", srvIdle.data, "x")
		}
		if age := l.Time().Sub(made[srvIdle]); age < d || virtual && age > d*5/4 {
			return fmt.Errorf("the idle connection was closed %v (loop time) after it was accepted, want at least %v (at most %v on a virtual clock)", age, d, d*5/4)
		}
		if _, err := duet.Await(ctx, idle.lost); err != nil { // the client sees the server's close
			return err
		}
		// The others have lived longer than the timeout by now; give them
		// one more and a half.
		if err := duet.Sleep(ctx, 3*d/2); err != nil {
			return err
		}
		for i, c := range []*rec{srvActive, srvDownload, active, download} {
			if c.lost.IsDone() {
				lost, _ := c.lost.Result()
				return fmt.Errorf("connection %d (active server side, download server side, active client, download client) was closed: %v", i, lost)
			}
		}
		if err := errors.Join(stopActive(), stopDownload()); err != nil {
			return err
		}
		if len(download.data) == 0 {
			return fmt.Errorf("the download client received nothing")
		}
		active.t.Close()
		download.t.Close()
		for _, c := range []*rec{srvActive, srvDownload} {
			if lost, err := duet.Await(ctx, c.lost); lost != nil || err != nil {
				return fmt.Errorf("a connection closed by its client: lost with %v, %v", lost, err)
			}
		}
		return noReports(reports)
	}, opts...)
}

// A peer that stops reading the server's writes is idle too once the
// socket's buffers are full (a slow reader): write progress is activity, a
// blocked write buffer is not. The server's buffered bytes stay bounded by
// the watermark meanwhile and are dropped with the connection.
func TestIdleTimeoutPeerNeverReads(t *testing.T) {
	const d = 300 * time.Millisecond
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		chunk := make([]byte, 16<<10)
		maxBuf := 0
		fill := func(r *rec) {
			for !r.paused && !r.t.IsClosing() {
				r.t.Write(chunk)
				maxBuf = max(maxBuf, r.t.WriteBufferSize())
			}
		}
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onMade, r.onRes = fill, fill
			return r
		}, aio.WithIdleTimeout(d))
		if err != nil {
			return err
		}
		defer s.Close()
		c := newRec()
		c.onMade = func(r *rec) { r.t.PauseReading() } // and never resumes
		if err := dial(ctx, addr, c); err != nil {
			return err
		}
		if err := until(ctx, "the server's connection", func() bool { return len(*srv) == 1 }); err != nil {
			return err
		}
		if err := lostToIdleTimeout(ctx, (*srv)[0], "the writer to a peer that never reads"); err != nil {
			return err
		}
		if high := 64 << 10; maxBuf > high+len(chunk) {
			return fmt.Errorf("the write buffer reached %d bytes, high watermark %d", maxBuf, high)
		}
		c.t.Abort()
		if _, err := duet.Await(ctx, c.lost); err != nil {
			return err
		}
		return noReports(reports)
	})
}

// Listen and NetListen take the idle timeout through WithServerOptions: a
// handler's reads return what was received, then ErrIdleTimeout, which
// the handler may return without a report; the net.Conn view's Read fails
// with a timeout net.Error; the client sees the server close.
func TestIdleTimeoutStreams(t *testing.T) {
	const d = 300 * time.Millisecond
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		type result struct {
			data []byte
			err  error
		}
		got := duet.NewFuture[result]()
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			var data []byte
			for {
				p, err := s.Read(ctx, 100)
				data = append(data, p...)
				if err != nil {
					got.SetResult(result{data, err})
					return err
				}
			}
		}, aio.WithServerOptions(aio.WithIdleTimeout(d)))
		if err != nil {
			return err
		}
		defer srv.Close()
		// sendAndIdle connects, sends one byte, then reads until the
		// server closes.
		sendAndIdle := func(addr string) (string, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return "", err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.Write([]byte("x")); err != nil {
				return "", err
			}
			b, err := io.ReadAll(c)
			return string(b), err
		}
		echoed, err := aio.ToThread(ctx, func(context.Context) (string, error) { return sendAndIdle(srv.Addrs()[0].String()) })
		if echoed != "" || err != nil {
			return fmt.Errorf("the client read %q, %v; want the server's close", echoed, err)
		}
		r, err := duet.Await(ctx, got)
		if err != nil {
			return err
		}
		if string(r.data) != "x" {
			return fmt.Errorf("the handler read %q, want %q", r.data, "x")
		}
		if err := isIdleTimeout(r.err); err != nil {
			return fmt.Errorf("the handler's read: %w", err)
		}

		ln, err := aio.NetListen(ctx, "tcp", "127.0.0.1:0", aio.WithServerOptions(aio.WithIdleTimeout(d)))
		if err != nil {
			return err
		}
		defer ln.Close()
		readErr, err := aio.ToThread(ctx, func(context.Context) (error, error) {
			client := make(chan error, 1)
			go func() { _, err := sendAndIdle(ln.Addr().String()); client <- err }()
			c, err := ln.Accept()
			if err != nil {
				return nil, err
			}
			defer c.Close()
			_, rerr := io.ReadAll(c)
			return rerr, <-client
		})
		if err != nil {
			return err
		}
		if err := isIdleTimeout(readErr); err != nil {
			return fmt.Errorf("the net.Conn view's Read: %w", err)
		}
		return noReports(reports)
	})
}

// Dial and Listen refuse each other's options, naming the right one.
func TestStreamOptionsRefusedOnTheWrongSide(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		_, err := aio.Dial(ctx, "tcp", "127.0.0.1:1", aio.WithServerOptions(aio.WithIdleTimeout(time.Second)))
		if err == nil || !strings.Contains(err.Error(), "WithServerOptions") || !strings.Contains(err.Error(), "WithConnOptions") {
			return fmt.Errorf("Dial with server options: %v", err)
		}
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper, aio.WithConnOptions(aio.WithHappyEyeballsDelay(time.Second)))
		if err == nil || !strings.Contains(err.Error(), "WithConnOptions") || !strings.Contains(err.Error(), "WithServerOptions") {
			if srv != nil {
				srv.Close()
			}
			return fmt.Errorf("Listen with connect options: %v", err)
		}
		return nil
	})
}

// A slow download is not idle: the server writes more than the kernel's
// socket buffers hold at once, and the transport's buffered bytes going
// out as the client reads count as activity, for several timeouts, until
// every byte has arrived.
func TestIdleTimeoutSlowDownload(t *testing.T) {
	const d = 500 * time.Millisecond
	const size = 16 << 20
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		big := make([]byte, size)
		s, addr, srv, err := serve(ctx, func() *rec {
			r := newRec()
			r.onMade = func(r *rec) { r.t.Write(big) }
			return r
		}, aio.WithIdleTimeout(d))
		if err != nil {
			return err
		}
		defer s.Close()
		got, err := aio.ToThread(ctx, func(context.Context) (int, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return 0, err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			buf := make([]byte, 64<<10)
			n := 0
			for n < size { // at most 64 KiB per 5 ms: at least 1.25 s
				k, err := c.Read(buf)
				n += k
				if err != nil {
					return n, err
				}
				time.Sleep(5 * time.Millisecond)
			}
			return n, nil
		})
		if got != size || err != nil {
			return fmt.Errorf("the client read %d of %d bytes: %v", got, size, err)
		}
		if err := until(ctx, "the server's side", func() bool { return len(*srv) == 1 }); err != nil {
			return err
		}
		if lost, err := duet.Await(ctx, (*srv)[0].lost); lost != nil || err != nil {
			return fmt.Errorf("the download, closed by its client: lost with %v, %v", lost, err)
		}
		return noReports(reports)
	})
}

// Over TLS (WithServerTLS, and a TLS Listen with WithStreamTLS), an idle
// client is closed after its handshake like a plain one: the server's
// protocol, and the handler's read, get ErrIdleTimeout.
func TestIdleTimeoutTLS(t *testing.T) {
	const d = 300 * time.Millisecond
	pk := newPKI(t)
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		var made []*rec
		srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
			r := echo()
			made = append(made, r)
			return r
		}, aio.WithServerTLS(pk.server), aio.WithIdleTimeout(d))
		if err != nil {
			return err
		}
		defer srv.Close()
		c := newRec()
		if _, _, err := l.CreateConnection(ctx, "tcp", srv.Addrs()[0].String(), func() aio.BaseProtocol { return c }, aio.WithTLS(pk.client)); err != nil {
			return err
		}
		c.t.Write([]byte("x"))
		if err := until(ctx, "the echo", func() bool { return string(c.data) == "x" }); err != nil {
			return err
		}
		if err := lostToIdleTimeout(ctx, made[0], "a TLS protocol connection"); err != nil {
			return err
		}
		if _, err := duet.Await(ctx, c.lost); err != nil {
			return err
		}

		readErr := duet.NewFuture[error]()
		lsrv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			_, err := s.Read(ctx, 100)
			readErr.SetResult(err)
			return err
		}, aio.WithStreamTLS(pk.server), aio.WithServerOptions(aio.WithIdleTimeout(d)))
		if err != nil {
			return err
		}
		defer lsrv.Close()
		s, err := aio.Dial(ctx, "tcp", lsrv.Addrs()[0].String(), aio.WithStreamTLS(pk.client))
		if err != nil {
			return err
		}
		defer s.Close()
		rerr, err := duet.Await(ctx, readErr)
		if err != nil {
			return err
		}
		if err := isIdleTimeout(rerr); err != nil {
			return fmt.Errorf("a TLS stream handler's read: %w", err)
		}
		return noReports(reports)
	})
}
