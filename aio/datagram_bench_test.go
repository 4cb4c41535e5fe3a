//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio_test

import (
	"context"
	"net"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// pingProto sends each datagram it receives back until n round trips are
// done.
type pingProto struct {
	t    aio.DatagramTransport
	left int
	done *duet.Future[struct{}]
}

func (p *pingProto) ConnectionMade(t aio.DatagramTransport) { p.t = t }
func (p *pingProto) DatagramReceived(b []byte, addr net.Addr) {
	if p.done != nil {
		if p.left--; p.left <= 0 {
			p.done.SetResult(struct{}{})
			return
		}
	}
	p.t.SendTo(b, addr)
}
func (p *pingProto) ErrorReceived(error)  {}
func (p *pingProto) ConnectionLost(error) {}

// BenchmarkUDPRoundTrip is one datagram's round trip between two UDP
// endpoints of one loop over loopback: both sides' receive, conversion of
// the sender and send, on the poller.
func BenchmarkUDPRoundTrip(b *testing.B) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		srv := &pingProto{}
		if _, _, err := l.CreateDatagramEndpoint(ctx, "udp4", "127.0.0.1:0", "", func() aio.DatagramProtocol { return srv }); err != nil {
			return err
		}
		cli := &pingProto{left: b.N, done: duet.NewFuture[struct{}]()}
		if _, _, err := l.CreateDatagramEndpoint(ctx, "udp4", "127.0.0.1:0", srv.t.LocalAddr().String(), func() aio.DatagramProtocol { return cli }); err != nil {
			return err
		}
		b.ReportAllocs()
		b.ResetTimer()
		cli.t.Send(make([]byte, 64))
		_, err := duet.Await(ctx, cli.done)
		b.StopTimer()
		srv.t.Close()
		cli.t.Close()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
