package poll_test

import (
	"io"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkPingPong sends a message over a socketpair and back, both ends
// in one poller, as two protocols on one loop would: each op is one round
// trip (two writes, two reads, their completions, and the Polls between).
func BenchmarkPingPong(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(itoa(size), func(b *testing.B) {
			p := newPoller(b)
			x, y := socketpair(b, p)
			msg := [][]byte{pattern(0, size)}
			xbuf, ybuf := make([]byte, 64<<10), make([]byte, 64<<10)
			rounds, xgot, ygot := 0, 0, 0
			var failed error
			wdone := func(_ int, err error) {
				if err != nil {
					failed = err
				}
			}
			// y echoes every message back; x counts them and sends the next.
			y.StartRead(readFuncs{func() []byte { return ybuf }, func(_ []byte, n int, err error) {
				if err != nil {
					failed = err
					return
				}
				if ygot += n; ygot == size {
					ygot = 0
					y.Write(msg, writeFunc(wdone))
				}
			}})
			x.StartRead(readFuncs{func() []byte { return xbuf }, func(_ []byte, n int, err error) {
				if err != nil {
					failed = err
					return
				}
				if xgot += n; xgot == size {
					xgot = 0
					if rounds++; rounds < b.N {
						x.Write(msg, writeFunc(wdone))
					}
				}
			}})
			b.SetBytes(int64(2 * size))
			b.ReportAllocs()
			b.ResetTimer()
			x.Write(msg, writeFunc(wdone))
			for rounds < b.N && failed == nil {
				if _, err := p.Poll(hangGuard); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if failed != nil {
				b.Fatal(failed)
			}
			x.StopRead()
			y.StopRead()
		})
	}
}

// BenchmarkWakePoll is a Wake and the Poll that consumes it, on one
// goroutine: the cost of a thread-safe wake-up to the loop, less the
// cross-thread scheduling.
func BenchmarkWakePoll(b *testing.B) {
	p := newPoller(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Wake()
		if _, err := p.Poll(0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWakeCoalesced is a Wake while one is already pending: what
// every Wake but the first of a round costs.
func BenchmarkWakeCoalesced(b *testing.B) {
	p := newPoller(b)
	p.Wake()
	b.ReportAllocs()
	for b.Loop() {
		p.Wake()
	}
}

// BenchmarkPingPongSyscalls is the floor under BenchmarkPingPong/64: the
// same round trip as four bare syscalls (write, read, write, read) on
// blocking sockets, with no poller.
func BenchmarkPingPongSyscalls(b *testing.B) {
	checkFDs(b)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	msg, buf := pattern(0, 64), make([]byte, 64<<10)
	b.SetBytes(128)
	b.ReportAllocs()
	for b.Loop() {
		unix.Write(fds[0], msg)
		unix.Read(fds[1], buf)
		unix.Write(fds[1], msg)
		unix.Read(fds[0], buf)
	}
}

// BenchmarkPingPongGoNet is the round trip of BenchmarkPingPong/64 the
// usual Go way, for comparison: a goroutine per end blocking in net.Conn
// calls on Go's netpoller.
func BenchmarkPingPongGoNet(b *testing.B) {
	checkFDs(b)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	conns := make([]net.Conn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		if conns[i], err = net.FileConn(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	defer conns[0].Close()
	defer conns[1].Close()
	msg := pattern(0, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(conns[1], buf); err != nil {
				return
			}
			conns[1].Write(msg)
		}
	}()
	buf := make([]byte, 64)
	b.SetBytes(128)
	b.ReportAllocs()
	for b.Loop() {
		conns[0].Write(msg)
		if _, err := io.ReadFull(conns[0], buf); err != nil {
			b.Fatal(err)
		}
	}
	conns[0].Close()
	<-done
}
