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
	"os"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Goroutine code with bufio reads and writes lines over the net.Conn view
// while a task talks through the Stream's own methods.
func TestStreamNetConnBufio(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 5)
		c := b.NetConn()
		if c != b.NetConn() {
			return fmt.Errorf("NetConn returned two views")
		}
		g := inGoroutine(func(context.Context) error {
			r, w := bufio.NewReader(c), bufio.NewWriter(c)
			for {
				line, err := r.ReadString('\n')
				if err == io.EOF && line == "" {
					break
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%d:%s", len(line), line)
				if err := w.Flush(); err != nil {
					return err
				}
			}
			return c.Close()
		})
		for _, s := range []string{"one\n", "two words\n", "three\n"} {
			if err := a.Write(ctx, []byte(s)); err != nil {
				return err
			}
			p, err := a.ReadLine(ctx)
			if err := want(p, err, fmt.Sprintf("%d:%s", len(s), s)); err != nil {
				return err
			}
		}
		a.WriteEOF()
		if _, err := a.Read(ctx, 1); err != io.EOF {
			return fmt.Errorf("after the view's Close: %v", err)
		}
		if err := await(ctx, g); err != nil {
			return err
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Read after Close: %v", err)
		}
		a.Close()
		return a.WaitClosed(ctx)
	})
}

// io.Copy echoes a megabyte through the view, half-closing with
// CloseWrite, under back-pressure: the task writes everything before it
// reads, so the echo's writes wait in Drain until the task reads.
func TestStreamNetConnIoCopy(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 4096)
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte(i * 7)
		}
		echo := inGoroutine(func(context.Context) error {
			c := b.NetConn()
			if _, err := io.Copy(c, c); err != nil {
				return err
			}
			return c.(interface{ CloseWrite() error }).CloseWrite()
		})
		sender := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			for p := data; len(p) > 0; p = p[min(len(p), 10000):] {
				if err := a.Write(ctx, p[:min(len(p), 10000)]); err != nil {
					return struct{}{}, err
				}
				if err := a.Drain(ctx); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, a.WriteEOF()
		})
		var got []byte
		for {
			p, err := a.Read(ctx, 1<<16)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			got = append(got, p...)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("echoed %d bytes, not the %d sent", len(got), len(data))
		}
		if _, err := duet.Await(ctx, sender); err != nil {
			return err
		}
		if err := await(ctx, echo); err != nil {
			return err
		}
		a.Close()
		b.Close()
		return b.WaitClosed(ctx)
	})
}

// The view's deadlines: one in the past times out at once, one moved while
// a Read waits applies to it, a timed-out Read takes no byte, and Close
// ends a waiting Read with net.ErrClosed.
func TestStreamNetConnDeadlines(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 3)
		c := b.NetConn()
		isTimeout := func(err error) bool {
			var ne net.Error
			return errors.As(err, &ne) && ne.Timeout() && errors.Is(err, os.ErrDeadlineExceeded)
		}
		g := inGoroutine(func(context.Context) error {
			buf := make([]byte, 16)
			c.SetReadDeadline(time.Now().Add(-time.Second))
			if _, err := c.Read(buf); !isTimeout(err) {
				return fmt.Errorf("Read past the deadline: %v", err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := c.Read(buf); !isTimeout(err) {
				return fmt.Errorf("Read past a 10ms deadline: %v", err)
			}
			// A deadline moved nearer while Read waits.
			c.SetReadDeadline(time.Now().Add(time.Hour))
			go func() {
				time.Sleep(10 * time.Millisecond)
				c.SetReadDeadline(time.Now())
			}()
			if _, err := c.Read(buf); !isTimeout(err) {
				return fmt.Errorf("Read whose deadline moved: %v", err)
			}
			// Moved further while Read waits: the Read goes on waiting
			// past the first deadline and gets the bytes the task writes
			// at 100ms.
			c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			go func() {
				time.Sleep(5 * time.Millisecond)
				c.SetReadDeadline(time.Time{})
			}()
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "abc" {
				return fmt.Errorf("Read after the deadline went: %q, %v", buf[:n], err)
			}
			// Close ends a waiting Read.
			go func() {
				time.Sleep(10 * time.Millisecond)
				c.Close()
			}()
			if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("Read ended by Close: %v", err)
			}
			if _, err := c.Write(buf); !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("Write after Close: %v", err)
			}
			return nil
		})
		duet.Sleep(ctx, 100*time.Millisecond)
		a.Write(ctx, []byte("abc"))
		if err := await(ctx, g); err != nil {
			return err
		}
		a.Close()
		return b.WaitClosed(ctx)
	})
}

// fakeListener is a net.Listener whose connections are net.Conn views of
// streams connected in memory on a loop.
type fakeListener struct {
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func (ln *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-ln.conns:
		return c, nil
	case <-ln.closed:
		return nil, net.ErrClosed
	}
}

func (ln *fakeListener) Close() error {
	ln.once.Do(func() { close(ln.closed) })
	return nil
}

func (ln *fakeListener) Addr() net.Addr { return fakeAddr("listener") }

// net/http's server and client run over the view: the client dials by
// making a stream pair on the loop and handing the server its end.
func TestStreamNetConnHTTP(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		ln := &fakeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
		var mu sync.Mutex
		var streams []*aio.Stream
		dial := func(dctx context.Context, _, _ string) (net.Conn, error) {
			pair := aio.Spawn(l.Context(), func(context.Context) ([2]*aio.Stream, error) {
				a, b, _, _ := streamPair(l, 1500)
				return [2]*aio.Stream{a, b}, nil
			})
			p, err := duet.Await(dctx, pair)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			streams = append(streams, p[0], p[1])
			mu.Unlock()
			select {
			case ln.conns <- p[1].NetConn():
				return p[0].NetConn(), nil
			case <-dctx.Done():
				return nil, dctx.Err()
			}
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %d bytes", r.Method, r.URL.Path, len(body))
		})}
		served := inGoroutine(func(context.Context) error {
			if err := srv.Serve(ln); err != http.ErrServerClosed {
				return err
			}
			return nil
		})
		tr := &http.Transport{DialContext: dial}
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		calls := inGoroutine(func(context.Context) error {
			for i := range 5 {
				body := bytes.Repeat([]byte("b"), i*3000)
				resp, err := client.Post("http://duet/echo", "text/plain", bytes.NewReader(body))
				if err != nil {
					return err
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				if w := fmt.Sprintf("POST /echo %d bytes", len(body)); string(got) != w {
					return fmt.Errorf("response %q, want %q", got, w)
				}
			}
			return nil
		})
		if err := await(ctx, calls); err != nil {
			return err
		}
		tr.CloseIdleConnections()
		if err := srv.Close(); err != nil {
			return err
		}
		if err := await(ctx, served); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if len(streams) == 0 {
			return fmt.Errorf("no connection was dialled")
		}
		for _, s := range streams {
			s.Close()
			if err := s.WaitClosed(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Deadlines moved all the time, some into the past, while a goroutine
// reads byte by byte lose no byte: a Read that got its bytes as its
// deadline moved returns them (net/http's background read aborts with a
// deadline in the past; TestStreamNetConnHTTP lost a byte that way).
func TestStreamNetConnDeadlineChurnLosesNothing(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 1)
		c := b.NetConn()
		const n = 3000
		stop := make(chan struct{})
		churned := inGoroutine(func(context.Context) error {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return nil
				default:
				}
				if i%2 == 0 {
					c.SetReadDeadline(time.Now().Add(-time.Second))
				} else {
					c.SetReadDeadline(time.Time{})
				}
			}
		})
		got := inGoroutine(func(context.Context) error {
			defer close(stop)
			var out []byte
			buf := make([]byte, 1)
			for {
				k, err := c.Read(buf)
				out = append(out, buf[:k]...)
				if err == io.EOF {
					break
				}
				if err != nil && !os.IsTimeout(err) {
					return err
				}
			}
			if len(out) != n {
				return fmt.Errorf("read %d bytes of %d: some were lost", len(out), n)
			}
			for i, x := range out {
				if x != byte(i) {
					return fmt.Errorf("byte %d is %d: a byte was lost", i, x)
				}
			}
			return nil
		})
		for i := range n {
			if err := a.Write(ctx, []byte{byte(i)}); err != nil {
				return err
			}
			if i%50 == 0 {
				duet.Sleep(ctx, 0)
			}
		}
		a.WriteEOF()
		if err := await(ctx, got); err != nil {
			return err
		}
		if err := await(ctx, churned); err != nil {
			return err
		}
		a.Close()
		return a.WaitClosed(ctx)
	})
}
