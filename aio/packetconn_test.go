//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A PacketConn served by a goroutine (through the net.PacketConn view)
// and used by a task, and the other way round; a plain Go net.UDPConn
// talks to it too.
func TestPacketConnTaskAndGoroutine(t *testing.T) {
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		lctx := aio.LoopOf(ctx).Context()
		// A goroutine echo server over the net.PacketConn view.
		srv, err := aio.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		served := duet.NewFuture[int]()
		go func() {
			pc := srv.NetPacketConn()
			buf := make([]byte, 2048)
			n := 0
			for {
				k, addr, err := pc.ReadFrom(buf)
				if err != nil {
					served.Complete(n, nil)
					return
				}
				n++
				pc.WriteTo(buf[:k], addr)
			}
		}()
		// A task client.
		cli, err := aio.DialPacket(ctx, "udp", srv.LocalAddr().String())
		if err != nil {
			return err
		}
		for i := 0; i < 10; i++ {
			msg := "task " + strconv.Itoa(i)
			if err := cli.Write(ctx, []byte(msg)); err != nil {
				return err
			}
			p, from, err := cli.ReadFrom(ctx)
			if err != nil || string(p) != msg || from.String() != srv.LocalAddr().String() {
				return fmt.Errorf("echo %d: %q from %v, %v", i, p, from, err)
			}
		}
		// A goroutine client with a Go-side context, through ReadFrom and
		// WriteTo themselves, blocking.
		res := duet.NewFuture[string]()
		go func() {
			c, err := aio.ListenPacket(lctx, "udp4", "127.0.0.1:0")
			if err != nil {
				res.SetError(err)
				return
			}
			defer c.Close()
			if err := c.WriteTo(lctx, []byte("from a goroutine"), srv.LocalAddr()); err != nil {
				res.SetError(err)
				return
			}
			p, _, err := c.ReadFrom(lctx)
			res.Complete(string(p), err)
		}()
		if got, err := duet.Await(ctx, res); got != "from a goroutine" {
			return fmt.Errorf("goroutine client: %q, %v", got, err)
		}
		// Go's own UDP socket, from a thread.
		got, err := aio.ToThread(ctx, func(context.Context) (string, error) {
			c, err := net.Dial("udp", srv.LocalAddr().String())
			if err != nil {
				return "", err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("from net"))
			b := make([]byte, 100)
			n, err := c.Read(b)
			return string(b[:n]), err
		})
		if got != "from net" {
			return fmt.Errorf("net.Dial client: %q, %v", got, err)
		}
		cli.Close()
		srv.Close()
		if n, _ := duet.Await(ctx, served); n != 12 {
			return fmt.Errorf("the goroutine server served %d datagrams, want 12", n)
		}
		if _, _, err := srv.ReadFrom(ctx); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("ReadFrom after Close: %v, want net.ErrClosed", err)
		}
		if err := srv.WriteTo(ctx, []byte("x"), cli.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("WriteTo after Close: %v, want net.ErrClosed", err)
		}
		if err := srv.WaitClosed(ctx); err != nil {
			return err
		}
		return cli.WaitClosed(ctx)
	})
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// A receive that is cancelled or times out takes no datagram: the next
// one gets it. A goroutine's receive ends with its context, and the view's
// with its deadline.
func TestPacketConnCancelledReceive(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		c, err := aio.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Close()
		// A task's receive, cancelled.
		reader := aio.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
			p, _, err := c.ReadFrom(ctx)
			return p, err
		})
		duet.Sleep(ctx, time.Millisecond)
		reader.Cancel("")
		if _, err := duet.Await(ctx, reader); !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("a cancelled ReadFrom: %v, want ErrCancelled", err)
		}
		// A timed-out one.
		err = duet.WithTimeout(ctx, 5*time.Millisecond, func(ctx context.Context) error {
			_, _, err := c.ReadFrom(ctx)
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("a timed-out ReadFrom: %v, want ErrTimeout", err)
		}
		// A goroutine's, its context cancelled.
		gctx, gcancel := context.WithCancel(aio.LoopOf(ctx).Context())
		gres := duet.NewFuture[error]()
		go func() {
			_, _, err := c.ReadFrom(gctx)
			gres.SetResult(err)
		}()
		duet.Sleep(ctx, time.Millisecond)
		gcancel()
		if err, _ := duet.Await(ctx, gres); err == nil {
			return errors.New("a goroutine's ReadFrom returned nil after its context was cancelled")
		}
		// The view's deadline.
		pc := c.NetPacketConn()
		pc.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		vres := duet.NewFuture[error]()
		go func() {
			_, _, err := pc.ReadFrom(make([]byte, 10))
			vres.SetResult(err)
		}()
		if err, _ := duet.Await(ctx, vres); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("the view's ReadFrom past its deadline: %v, want os.ErrDeadlineExceeded", err)
		} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			return fmt.Errorf("the view's timeout %v is not a net.Error with Timeout()", err)
		}
		pc.SetReadDeadline(time.Time{})
		// None of them took the datagram sent now.
		if err := c.WriteTo(ctx, []byte("still here"), c.LocalAddr()); err != nil {
			return err
		}
		p, _, err := c.ReadFrom(ctx)
		if string(p) != "still here" {
			return fmt.Errorf("after the cancelled receives: %q, %v", p, err)
		}
		return nil
	})
}

// More datagrams than the PacketConn holds arrive while nobody reads: it
// stops receiving, and every one is read, in order, once a reader comes.
// Over a Unix datagram socket nothing is dropped on the way: a receiver's
// full queue makes the sender's socket refuse (EAGAIN), and the sender's
// transport buffers until it drains, so this also drives buffered sends.
func TestPacketConnBacklogLosesNothing(t *testing.T) {
	path := t.TempDir() + "/backlog.sock"
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		rx, err := aio.ListenPacket(ctx, "unixgram", path)
		if err != nil {
			return err
		}
		defer rx.Close()
		tx, err := aio.DialPacket(ctx, "unixgram", path)
		if err != nil {
			return err
		}
		defer tx.Close()
		const n = 3000 // over the 256 held and the kernel's queue
		for i := 0; i < n; i++ {
			if err := tx.Write(ctx, []byte(strconv.Itoa(i))); err != nil {
				return fmt.Errorf("send %d: %v", i, err)
			}
		}
		for i := 0; i < n; i++ {
			p, _, err := rx.ReadFrom(ctx)
			if err != nil || string(p) != strconv.Itoa(i) {
				return fmt.Errorf("datagram %d: %q, %v", i, p, err)
			}
		}
		return nil
	})
}

// A PacketConn on a connected endpoint whose peer is gone returns the
// ICMP error from ReadFrom, then goes on; an oversize datagram is WriteTo's
// error.
func TestPacketConnErrors(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		gone, err := aio.ListenPacket(ctx, "udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := gone.LocalAddr().String()
		gone.Close()
		if err := gone.WaitClosed(ctx); err != nil {
			return err
		}
		c, err := aio.DialPacket(ctx, "udp4", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Write(ctx, make([]byte, 65508)); !errors.Is(err, syscall.EMSGSIZE) {
			return fmt.Errorf("Write of 65508 bytes: %v, want EMSGSIZE", err)
		}
		var got error
		for i := 0; i < 100 && got == nil; i++ {
			if err := c.Write(ctx, []byte("anyone?")); err != nil {
				got = err // a send may meet the refusal first
				break
			}
			err := duet.WithTimeout(ctx, 20*time.Millisecond, func(ctx context.Context) error {
				_, _, err := c.ReadFrom(ctx)
				return err
			})
			if !errors.Is(err, duet.ErrTimeout) {
				got = err
			}
		}
		if !errors.Is(got, syscall.ECONNREFUSED) {
			return fmt.Errorf("to a closed port: %v, want ECONNREFUSED", got)
		}
		return nil
	})
}

// A goroutine waiting in ReadFrom when the endpoint's loop closes gets
// net.ErrClosed: the loop's end closes the endpoint.
func TestPacketConnLoopClosed(t *testing.T) {
	res := make(chan error, 1)
	var pc *aio.PacketConn
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		var err error
		if pc, err = aio.ListenPacket(ctx, "udp", "127.0.0.1:0"); err != nil {
			return err
		}
		started := duet.NewFuture[struct{}]()
		go func() {
			started.SetResult(struct{}{})
			_, _, err := pc.ReadFrom(context.Background())
			res <- err
		}()
		_, err = duet.Await(ctx, started)
		return err
	})
	if err := <-res; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadFrom across the loop's close: %v, want net.ErrClosed", err)
	}
	if err := pc.WriteTo(context.Background(), []byte("x"), pc.LocalAddr()); err == nil {
		t.Fatal("WriteTo after the loop closed succeeded")
	}
}
