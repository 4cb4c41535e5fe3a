package poll_test

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Both ways a Poll waits on Linux — parked on Go's netpoller (the normal
// one) and blocked in epoll_wait (the fallback) — end for data arriving on
// an fd while it waits, for a Wake from another goroutine and for the
// timeout (never early).
func TestPollWaitsParkedAndBlocking(t *testing.T) {
	for _, mode := range []string{"parked", "blocking"} {
		t.Run(mode, func(t *testing.T) {
			p := newPoller(t)
			if mode == "blocking" && !p.BlockingWaits() {
				t.Fatal("a new poller's waits did not park on the netpoller")
			}
			guard := guardWake(t, p)
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			b, err := p.Register(fds[1])
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			s := newSink(64)
			s.start(t, b)
			// Data sent by another goroutine once the Poll below waits.
			go func() {
				time.Sleep(20 * time.Millisecond)
				unix.Write(fds[0], []byte("ping"))
			}()
			for s.got.Len() < 4 && !guard.Load() {
				if _, err := p.Poll(-1); err != nil {
					t.Fatal(err)
				}
			}
			if s.got.String() != "ping" || guard.Load() {
				t.Fatalf("read %q (hang guard fired: %v)", s.got.String(), guard.Load())
			}
			// A Wake from another goroutine ends an unlimited wait.
			go func() {
				time.Sleep(20 * time.Millisecond)
				p.Wake()
			}()
			if n, err := p.Poll(-1); err != nil || n != 0 || guard.Load() {
				t.Fatalf("Poll(-1) woken: %d, %v (hang guard fired: %v)", n, err, guard.Load())
			}
			// The timeout, never early.
			const d = 15 * time.Millisecond
			start := time.Now()
			if n, err := p.Poll(d); err != nil || n != 0 {
				t.Fatalf("Poll(%v) = %d, %v", d, n, err)
			}
			if el := time.Since(start); el < d {
				t.Fatalf("Poll(%v) returned after %v, early", d, el)
			}
		})
	}
}
