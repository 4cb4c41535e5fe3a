package aio

import (
	"fmt"
	"testing"
	"time"

	"github.com/duet-go/duet/internal/poll"
)

// BenchmarkIdleSweep is one sweep of a server's idle timeout over n
// connections, all active (each sweep finds them silent once and a read
// clears them again): a server sweeps four times per timeout, so with
// WithIdleTimeout(d) the loop spends 4/d of this per second, whatever the
// connections' traffic, where a timer per connection would be reset on
// every read.
func BenchmarkIdleSweep(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l := New()
			defer l.Close()
			s := &Server{l: l}
			ts := make([]*tcpTransport, n)
			for i := range ts {
				ts[i] = &tcpTransport{l: l, fd: &poll.FD{}}
				*ts[i].serverSlot() = len(s.clients)
				s.clients = append(s.clients, ts[i])
			}
			// No timeout: the sweep does not re-arm, and nothing is closed
			// as long as a read (here, the reset below) comes within it.
			s.idleTimeout = 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.sweepIdle()
				if i%idleSweeps == idleSweeps-1 {
					b.StopTimer()
					for _, t := range ts {
						t.idleSweeps = 0
					}
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/conn")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)*float64(idleSweeps)/time.Minute.Seconds(), "µs/s@1min")
		})
	}
}

// BenchmarkIdleTimerReset is the design WithIdleTimeout avoids, for
// comparison: a timer per connection, cancelled and made again on every
// read (one op is one read's reset, on a loop holding 10,000 such timers;
// the cancelled ones are compacted away as a running loop's iterations
// would).
func BenchmarkIdleTimerReset(b *testing.B) {
	l := New()
	defer l.Close()
	fn := func() {}
	hs := make([]*Handle, 10000)
	for i := range hs {
		hs[i], _ = l.CallLater(time.Minute, fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(hs)
		hs[k].Cancel()
		hs[k], _ = l.CallLater(time.Minute, fn)
		if k == 0 {
			l.mu.Lock()
			l.readyTimersLocked() // none is due: this only compacts
			l.mu.Unlock()
		}
	}
}
