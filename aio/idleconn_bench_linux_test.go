package aio_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet/aio"
)

// idleProto is the least a server Protocol can be: it holds its
// transport and nothing else, as examples/echo's does.
type idleProto struct{ t aio.Transport }

func (p *idleProto) ConnectionMade(t aio.Transport) { p.t = t }
func (p *idleProto) DataReceived([]byte)            {}
func (p *idleProto) EOFReceived() bool              { return false }
func (p *idleProto) ConnectionLost(error)           {}

// BenchmarkServerIdleConnections measures what an idle accepted connection
// costs a Protocol server in Go memory (issue 8's "idle connections"
// table, without another process's noise): each op accepts idleConns
// connections that never send, and reports per connection the heap still
// live after a GC (live-B/conn: the transport, the poller's FD, the
// server's bookkeeping, the protocol) and the bytes and objects allocated
// to accept it (alloc-B/conn, allocs/conn; garbage included, which is what
// grows the heap, and so the RSS, between collections). The client ends
// are raw blocking sockets on another goroutine, so that none of their
// memory is counted.
func BenchmarkServerIdleConnections(b *testing.B) {
	const idleConns = 2000
	var live, allocB, allocN float64
	for range b.N {
		var made int
		var ms0, ms1 runtime.MemStats
		fds := make([]int, 0, idleConns)
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			s, err := aio.LoopOf(ctx).CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
				made++
				return &idleProto{}
			}, aio.WithBacklog(idleConns))
			if err != nil {
				return err
			}
			defer s.Close()
			defer s.AbortClients()
			port := s.Addrs()[0].(*net.TCPAddr).Port
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			var dialErr error
			dialed := make(chan struct{})
			go func() {
				defer close(dialed)
				dialErr = dialRaw(port, idleConns, &fds)
			}()
			// The loop must go on accepting while the dialer runs: poll
			// for both rather than block on the channel.
			accepted := func() bool {
				select {
				case <-dialed:
					return made == idleConns || dialErr != nil
				default:
					return false
				}
			}
			err = until(ctx, "the connections to be accepted", accepted)
			<-dialed
			if err != nil || dialErr != nil {
				return errors.Join(err, dialErr)
			}
			runtime.GC()
			runtime.ReadMemStats(&ms1)
			return nil
		})
		for _, fd := range fds {
			unix.Close(fd)
		}
		if err != nil {
			b.Fatal(err)
		}
		live += float64(int64(ms1.HeapAlloc)-int64(ms0.HeapAlloc)) / idleConns
		allocB += float64(ms1.TotalAlloc-ms0.TotalAlloc) / idleConns
		allocN += float64(ms1.Mallocs-ms0.Mallocs) / idleConns
	}
	b.ReportMetric(live/float64(b.N), "live-B/conn")
	b.ReportMetric(allocB/float64(b.N), "alloc-B/conn")
	b.ReportMetric(allocN/float64(b.N), "allocs/conn")
}

// dialRaw connects n blocking sockets to 127.0.0.1:port, appending them to
// *fds (whose capacity must hold n, so that nothing is allocated).
func dialRaw(port int, n int, fds *[]int) error {
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		*fds = append(*fds, fd)
		if err := unix.Connect(fd, sa); err != nil {
			return err
		}
	}
	return nil
}
