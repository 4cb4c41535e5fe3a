package aio_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// upper serves lines back in upper case until the peer closes.
func upper(ctx context.Context, s *aio.Stream) error {
	for {
		line, err := s.ReadLine(ctx)
		if err != nil {
			return err
		}
		if err := s.Write(ctx, bytes.ToUpper(line)); err != nil {
			return err
		}
	}
}

// Listen serves each connection with a task; Dial connects from a task
// (suspending it) and from a goroutine holding the loop's context
// (blocking it), and a goroutine uses the same Stream methods.
func TestListenDialTaskAndGoroutine(t *testing.T) {
	before := openFDs(t)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper)
		if err != nil {
			return err
		}
		addr := srv.Addrs()[0].String()
		s, err := aio.Dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		s.Write(ctx, []byte("from a task\n"))
		if line, err := s.ReadLine(ctx); string(line) != "FROM A TASK\n" {
			return fmt.Errorf("task: %q, %v", line, err)
		}
		s.Close()
		if err := s.WaitClosed(ctx); err != nil {
			return err
		}

		lctx := aio.LoopOf(ctx).Context()
		res := duet.NewFuture[struct{}]()
		go func() {
			bg := context.Background()
			g, err := aio.Dial(lctx, "tcp", addr) // blocks this goroutine
			if err != nil {
				res.SetError(err)
				return
			}
			defer g.Close()
			g.Write(bg, []byte("from a goroutine\n"))
			line, err := g.ReadLine(bg)
			if string(line) != "FROM A GOROUTINE\n" {
				err = fmt.Errorf("goroutine: %q, %v", line, err)
			}
			res.Complete(struct{}{}, err)
		}()
		if _, err := duet.Await(ctx, res); err != nil { // the task suspends, the loop serves
			return err
		}
		srv.Close()
		srv.CloseClients()
		return srv.WaitClosed(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

// A handler's error and panic are reported with the connection's task
// name; the server goes on serving.
func TestListenHandlerFailuresReported(t *testing.T) {
	var mu sync.Mutex
	var reports []aio.ExceptionContext
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		n := 0
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			n++
			if n == 2 {
				return errors.New("handler failed")
			}
			if n == 3 {
				panic("handler panicked")
			}
			return upper(ctx, s)
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		addr := srv.Addrs()[0].String()
		roundTrip := func(s *aio.Stream, line string) error {
			s.Write(ctx, []byte(line+"\n"))
			if got, err := s.ReadLine(ctx); string(got) != strings.ToUpper(line)+"\n" {
				return fmt.Errorf("%q: %q, %v", line, got, err)
			}
			return nil
		}
		// A connection open throughout, its handler running while the
		// others fail.
		open, err := aio.Dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer open.Close()
		if err := roundTrip(open, "before"); err != nil {
			return err
		}
		for range 2 { // each closed by the server once its handler is done
			s, err := aio.Dial(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			if _, err := s.Read(ctx, 1); !errors.Is(err, io.EOF) {
				return fmt.Errorf("read from a failed handler's stream: %v", err)
			}
			s.Close()
		}
		if err := roundTrip(open, "still open"); err != nil {
			return err
		}
		s, err := aio.Dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer s.Close()
		return roundTrip(s, "next")
	}, aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		mu.Lock()
		reports = append(reports, ec)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	var pe *duet.PanicError
	if len(reports) != 2 || !strings.Contains(fmt.Sprint(reports[0].Err), "handler failed") ||
		!errors.As(reports[1].Err, &pe) || !strings.Contains(fmt.Sprint(reports[1].Err), "handler panicked") || !strings.HasPrefix(reports[0].Task, "conn 127.0.0.1:") {
		t.Fatalf("reports: %+v", reports)
	}
}

// A goroutine-per-connection net/http server runs on a duet listener (the
// loop does the I/O), and net/http's client talks to it.
func TestNetHTTPOnDuetListener(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		ln, err := aio.NetListen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s", r.URL.Path)
		})}
		served := duet.NewFuture[struct{}]()
		go func() { served.Complete(struct{}{}, hs.Serve(ln)) }()
		got, err := aio.ToThread(ctx, func(context.Context) (string, error) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			var out []string
			for _, p := range []string{"/a", "/b", "/c"} {
				resp, err := c.Get("http://" + ln.Addr().String() + p)
				if err != nil {
					return "", err
				}
				b, _ := io.ReadAll(bufio.NewReader(resp.Body))
				resp.Body.Close()
				out = append(out, string(b))
			}
			return strings.Join(out, ","), hs.Close()
		})
		if err != nil {
			return err
		}
		if got != "hello /a,hello /b,hello /c" {
			return fmt.Errorf("responses %q", got)
		}
		if _, err := duet.Await(ctx, served); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("Serve: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A slow client (slowloris: it sends a byte at a time and never ends its
// line) or an idle one is closed by a read deadline in its handler; the
// server goes on serving others.
func TestListenSlowClientsClosedByDeadline(t *testing.T) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		timeouts := 0
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			var line []byte
			err := duet.WithTimeout(ctx, 200*time.Millisecond, func(ctx context.Context) (err error) {
				line, err = s.ReadLine(ctx)
				return err
			})
			if errors.Is(err, duet.ErrTimeout) {
				timeouts++
				return nil // the stream is closed as the handler returns
			}
			if err != nil {
				return err
			}
			return s.Write(ctx, line)
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		addr := srv.Addrs()[0].String()
		client := func(trickle bool) (string, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return "", err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			if trickle {
				go func() {
					for range 100 { // 2 s of a byte every 20 ms, never a newline
						if _, err := c.Write([]byte("x")); err != nil {
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				}()
			}
			b, err := io.ReadAll(c) // until the server closes
			return string(b), err
		}
		for _, trickle := range []bool{false, true} {
			start := time.Now()
			got, err := aio.ToThread(ctx, func(context.Context) (string, error) { return client(trickle) })
			if err != nil || got != "" {
				return fmt.Errorf("trickle=%v: read %q, %v; want the server to close", trickle, got, err)
			}
			if took := time.Since(start); took > 10*time.Second {
				return fmt.Errorf("trickle=%v: closed after %v", trickle, took)
			}
		}
		got, err := aio.ToThread(ctx, func(context.Context) (string, error) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return "", err
			}
			defer c.Close()
			fmt.Fprintf(c, "prompt\n")
			return bufio.NewReader(c).ReadString('\n')
		})
		if got != "prompt\n" || err != nil {
			return fmt.Errorf("a prompt client: %q, %v", got, err)
		}
		if timeouts != 2 {
			return fmt.Errorf("%d timeouts, want 2", timeouts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A handler task is named after its peer as *net.TCPAddr prints it, and
// its stream's addresses are the connection's, over IPv4, IPv6 and an
// empty host's dual-stack socket (whose IPv4 peers come IPv4-mapped).
func TestListenHandlerNameAndAddrs(t *testing.T) {
	for _, c := range []struct{ listen, dial string }{
		{"127.0.0.1:0", "127.0.0.1"},
		{"[::1]:0", "::1"},
		{":0", "127.0.0.1"},
	} {
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			type seen struct {
				name          string
				local, remote net.Addr
			}
			got := duet.NewFuture[seen]()
			srv, err := aio.Listen(ctx, "tcp", c.listen, func(ctx context.Context, s *aio.Stream) error {
				task, _ := aio.CurrentTask(ctx)
				got.SetResult(seen{task.Name(), s.LocalAddr(), s.RemoteAddr()})
				return nil
			})
			if err != nil {
				if strings.Contains(c.listen, ":") && strings.Contains(err.Error(), "address") {
					t.Logf("%s: no IPv6 here: %v", c.listen, err)
					return nil
				}
				return err
			}
			defer srv.Close()
			_, port, _ := net.SplitHostPort(srv.Addrs()[0].String())
			s, err := aio.Dial(ctx, "tcp", net.JoinHostPort(c.dial, port))
			if err != nil {
				return err
			}
			defer s.Close()
			g, err := duet.Await(ctx, got)
			if err != nil {
				return err
			}
			if want := "conn " + s.LocalAddr().String(); g.name != want {
				return fmt.Errorf("handler task named %q, want %q", g.name, want)
			}
			if g.remote.String() != s.LocalAddr().String() || g.local.String() != s.RemoteAddr().String() {
				return fmt.Errorf("server side %v <- %v, client side %v -> %v", g.local, g.remote, s.LocalAddr(), s.RemoteAddr())
			}
			return nil
		})
		if err != nil {
			t.Errorf("listen %s, dial %s: %v", c.listen, c.dial, err)
		}
	}
}
