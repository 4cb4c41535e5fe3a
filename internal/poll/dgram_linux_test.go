package poll_test

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet/internal/poll"
)

// Sends that meet a full socket queue, in order, each with its own result,
// and go out as the receiver drains; the receiver gets every datagram
// whole with its sender, an empty one included.
func TestDgramQueuedSendsInOrder(t *testing.T) {
	p := newPoller(t)
	a, b := socketpairOf(t, p, unix.SOCK_DGRAM)
	var got []string
	var from []poll.Sockaddr
	buf := make([]byte, 256)
	if err := b.StartRecvFrom(func() []byte { return buf }, func(buf []byte, n int, sa poll.Sockaddr, err error) {
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("receive: %v", err)
			}
			return
		}
		got = append(got, string(buf[:n]))
		from = append(from, sa)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 2000 // far over what the socket buffers hold
	var results []error
	immediate := 0
	for i := 0; i < n; i++ {
		msg := []byte(fmt.Sprint(i))
		if i == 7 {
			msg = nil
		}
		if sent, err := a.TrySendTo(msg, nil); sent {
			if err != nil || len(results) > 0 {
				t.Fatalf("send %d: sent at once (%v) after one was queued", i, err)
			}
			immediate++
			continue
		}
		if err := a.SendTo(msg, nil, func(err error) { results = append(results, err) }); err != nil {
			t.Fatal(err)
		}
	}
	if immediate == 0 || immediate == n {
		t.Fatalf("%d of %d sends went out at once; the queue should have filled part way", immediate, n)
	}
	pump(t, p, "every datagram", func() bool { return len(got) == n })
	for i, s := range got {
		want := fmt.Sprint(i)
		if i == 7 {
			want = ""
		}
		if s != want {
			t.Fatalf("datagram %d is %q, want %q", i, s, want)
		}
	}
	if len(results) != n-immediate {
		t.Fatalf("%d queued sends reported, want %d", len(results), n-immediate)
	}
	for i, err := range results {
		if err != nil {
			t.Fatalf("queued send %d: %v", i, err)
		}
	}
	if from[0] != nil {
		t.Errorf("an unnamed socketpair end's address is %v, want nil", from[0])
	}
	a.Close()
	b.Close()
}

// An error fails its datagram only, and receiving goes on after one;
// Close completes the pending receive and the queued sends once each.
func TestDgramErrorsAndClose(t *testing.T) {
	p := newPoller(t)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.Register(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	self, _ := unix.Getsockname(fd)
	big := make([]byte, 70000)
	if sent, err := u.TrySendTo(big, self); !sent || !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("an oversize datagram: sent %v, %v; want sent, EMSGSIZE", sent, err)
	}
	var got []string
	var errs []error
	buf := make([]byte, 4)
	u.StartRecvFrom(func() []byte { return buf }, func(buf []byte, n int, sa poll.Sockaddr, err error) {
		if err != nil {
			errs = append(errs, err)
			if !errors.Is(err, poll.ErrTruncated) {
				return
			}
		}
		got = append(got, string(buf[:n]))
		if a, ok := sa.(*unix.SockaddrInet4); !ok || a.Port != self.(*unix.SockaddrInet4).Port {
			t.Errorf("sender %#v, want %#v", sa, self)
		}
	})
	u.TrySendTo([]byte("toolong"), self)
	u.TrySendTo([]byte("ok"), self)
	pump(t, p, "two receives", func() bool { return len(got) == 2 })
	if got[0] != "tool" || got[1] != "ok" || len(errs) != 1 || !errors.Is(errs[0], poll.ErrTruncated) {
		t.Fatalf("received %q with errors %v; want the truncated \"tool\" with ErrTruncated, then \"ok\"", got, errs)
	}
	var closed []error
	u.SendTo([]byte("queued"), self, func(err error) { closed = append(closed, err) })
	u.Close()
	pump(t, p, "the completions of Close", func() bool { return len(errs) == 2 && len(closed) == 1 })
	if !errors.Is(errs[1], net.ErrClosed) || !errors.Is(closed[0], net.ErrClosed) {
		t.Fatalf("after Close: receive %v, send %v; want net.ErrClosed for both", errs[1], closed[0])
	}
	p.Poll(0)
	if len(errs) != 2 || len(closed) != 1 {
		t.Fatalf("completions repeated: %v %v", errs, closed)
	}
}
