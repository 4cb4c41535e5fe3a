package aio_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/duet-go/duet/aio"
)

// A transport's LocalAddr and RemoteAddr, kept by value and built when
// asked, are the *net.TCPAddr values Go's net package gives for the other
// end of the same connection, swapped, over IPv4 and (where the system
// has it) IPv6; and they stay readable after the connection is closed.
func TestTCPTransportAddrs(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			if host == "::1" {
				ln, err := net.Listen("tcp6", "[::1]:0")
				if err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				ln.Close()
			}
			runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
				var made []*rec
				s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", net.JoinHostPort(host, "0"), func() aio.BaseProtocol {
					r := newRec()
					made = append(made, r)
					return r
				})
				if err != nil {
					return err
				}
				defer s.Close()
				var conn net.Conn
				var dialErr error
				dialed := make(chan struct{})
				go func() {
					defer close(dialed)
					conn, dialErr = net.Dial("tcp", s.Addrs()[0].String())
				}()
				// The loop accepts while the goroutine dials: poll for both.
				if err := until(ctx, "the dial and the accept", func() bool {
					select {
					case <-dialed:
						return dialErr != nil || len(made) == 1
					default:
						return false
					}
				}); err != nil {
					return err
				}
				if dialErr != nil {
					return dialErr
				}
				defer conn.Close()
				tr := made[0].t
				check := func(when string) error {
					for _, c := range []struct {
						what      string
						got, want net.Addr
					}{{"LocalAddr", tr.LocalAddr(), conn.RemoteAddr()}, {"RemoteAddr", tr.RemoteAddr(), conn.LocalAddr()}} {
						got, ok := c.got.(*net.TCPAddr)
						want := c.want.(*net.TCPAddr)
						if !ok || !got.IP.Equal(want.IP) || got.Port != want.Port || got.Zone != want.Zone || len(got.IP) != net.IPv6len {
							return fmt.Errorf("%s: transport's %s is %#v, want %#v (as a 16-byte IP, the form transports give)", when, c.what, c.got, want)
						}
					}
					return nil
				}
				if err := check("open"); err != nil {
					return err
				}
				tr.Abort()
				return check("after Abort")
			})
		})
	}
}
