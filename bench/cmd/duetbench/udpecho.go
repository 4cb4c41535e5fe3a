package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os/signal"
	"syscall"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// cmdUDPEcho is a UDP echo server for the udp section, one process per
// row: it prints "listening on ADDR" once bound and exits with status 0
// on SIGTERM or SIGINT.
//
//	-impl protocol    duet: CreateDatagramEndpoint, SendTo in DatagramReceived (asyncio's DatagramProtocol shape)
//	-impl packetconn  duet: one task looping PacketConn.ReadFrom / WriteTo
//	-impl net         Go net: one goroutine looping net.PacketConn ReadFrom / WriteTo, the usual Go UDP server
func cmdUDPEcho(args []string) error {
	fs := flag.NewFlagSet("udpecho", flag.ExitOnError)
	impl := fs.String("impl", "protocol", "protocol, packetconn or net")
	addr := fs.String("addr", "127.0.0.1:0", "HOST:PORT to bind")
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch *impl {
	case "protocol", "packetconn":
		return aio.Run(context.Background(), func(tctx context.Context) error {
			return duetUDPEcho(tctx, ctx, *impl, *addr)
		})
	case "net":
		return netUDPEcho(ctx, *addr)
	}
	return fmt.Errorf("unknown -impl %q (protocol, packetconn or net)", *impl)
}

// udpEchoProto sends every datagram back to its sender.
type udpEchoProto struct{ t aio.DatagramTransport }

func (p *udpEchoProto) ConnectionMade(t aio.DatagramTransport) { p.t = t }
func (p *udpEchoProto) DatagramReceived(b []byte, addr net.Addr) {
	_ = p.t.SendTo(b, addr) // a datagram the network refuses is dropped, as UDP drops
}
func (p *udpEchoProto) ErrorReceived(error)  {}
func (p *udpEchoProto) ConnectionLost(error) {}

// duetUDPEcho serves until sig ends (a signal).
func duetUDPEcho(ctx, sig context.Context, impl, addr string) error {
	stopped := duet.NewFuture[struct{}]()
	go func() {
		<-sig.Done()
		stopped.SetResult(struct{}{})
	}()
	if impl == "protocol" {
		t, _, err := aio.LoopOf(ctx).CreateDatagramEndpoint(ctx, "udp4", addr, "", func() aio.DatagramProtocol { return &udpEchoProto{} })
		if err != nil {
			return err
		}
		fmt.Printf("listening on %s\n", t.LocalAddr())
		_, err = duet.Await(ctx, stopped)
		t.Close()
		return err
	}
	pc, err := aio.ListenPacket(ctx, "udp4", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", pc.LocalAddr())
	serve := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		for {
			p, from, err := pc.ReadFrom(ctx)
			if err != nil {
				return struct{}{}, err
			}
			if from != nil {
				_ = pc.WriteTo(ctx, p, from)
			}
		}
	})
	_, err = duet.Await(ctx, stopped)
	pc.Close()
	if _, serr := duet.Await(ctx, serve); serr != nil && !errors.Is(serr, net.ErrClosed) {
		return serr
	}
	return err
}

func netUDPEcho(ctx context.Context, addr string) error {
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", pc.LocalAddr())
	go func() {
		<-ctx.Done()
		pc.Close()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		_, _ = pc.WriteTo(buf[:n], from)
	}
}
