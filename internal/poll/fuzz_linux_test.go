package poll_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/duet-go/duet/internal/poll"
	"golang.org/x/sys/unix"
)

// FuzzReadInterleavings runs a script of writes of random sizes, StartRead
// with random buffer sizes, StopRead, Polls, and stops and restarts from
// inside read callbacks, then reads to the end: every byte written must be
// read once, in order. Each script byte pair is an operation and its
// argument. The seeds run with go test.
func FuzzReadInterleavings(f *testing.F) {
	f.Add([]byte{0, 10, 2, 3, 3, 0, 0, 255, 1, 0, 3, 0, 2, 200})
	f.Add([]byte{2, 0, 0, 250, 4, 0, 3, 0, 3, 0, 2, 1, 5, 9, 0, 40, 3, 0, 3, 0})
	f.Add([]byte{0, 255, 0, 255, 0, 255, 0, 255, 2, 7, 5, 100, 5, 3, 3, 0, 1, 0, 3, 0})
	f.Add([]byte{4, 0, 2, 90, 0, 1, 3, 0, 4, 0, 2, 0, 0, 2, 3, 0})
	r := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		script := make([]byte, 2*(20+r.IntN(60)))
		for i := range script {
			script[i] = byte(r.UintN(256))
		}
		f.Add(script)
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		p := newPoller(t)
		a, b := socketpair(t, p)
		// Small buffers, so that writes block and reads stop mid-stream.
		unix.SetsockoptInt(a.Fd(), unix.SOL_SOCKET, unix.SO_SNDBUF, 4096)
		unix.SetsockoptInt(b.Fd(), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096)
		runScript(t, p, a, b, script)
	})
}

func runScript(t *testing.T, p *poll.Poller, a, b *poll.FD, script []byte) {
	var got bytes.Buffer
	sent, writes, written := 0, 0, 0
	buf := make([]byte, 1)
	lent, stopInDone, restartInDone := false, false, false
	var alloc func() []byte
	var done func([]byte, int, error)
	start := func(size int) {
		buf, lent = make([]byte, size), false
		if err := b.StartRead(readFuncs{alloc, done}); err != nil {
			t.Fatal(err)
		}
	}
	alloc = func() []byte {
		if lent {
			t.Fatal("alloc while the buffer is lent")
		}
		lent = true
		return buf
	}
	done = func(rb []byte, n int, err error) {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !lent || &rb[0] != &buf[0] {
			t.Fatal("done with a buffer that is not lent")
		}
		lent = false
		got.Write(rb[:n])
		switch {
		case stopInDone:
			stopInDone = false
			b.StopRead()
		case restartInDone:
			restartInDone = false
			start(1 + n%5000) // replace the callbacks mid-stream
		}
	}
	wdone := func(n int, err error) {
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		writes--
		written += n
	}
	for i := 0; i+1 < len(script); i += 2 {
		op, arg := script[i]%6, int(script[i+1])
		switch op {
		case 0: // a write in one to three buffers
			n := arg*97%20000 + 1
			data := pattern(sent, n)
			cut1, cut2 := n*arg/256, n*(arg%7)/7
			if cut1 > cut2 {
				cut1, cut2 = cut2, cut1
			}
			writes++
			a.Write([][]byte{data[:cut1], data[cut1:cut2], data[cut2:]}, writeFunc(wdone))
			sent += n
		case 1:
			b.StopRead()
		case 2:
			start(arg*13 + 1)
		case 3:
			if _, err := p.Poll(0); err != nil {
				t.Fatal(err)
			}
		case 4:
			stopInDone = true
		case 5:
			restartInDone = true
		}
	}
	stopInDone, restartInDone = false, false
	start(4096)
	pump(t, p, "the script's bytes", func() bool { return got.Len() >= sent && writes == 0 })
	b.StopRead()
	if written != sent || !bytes.Equal(got.Bytes(), pattern(0, sent)) {
		t.Fatalf("wrote %d of %d bytes; read %d, equal: %v", written, sent, got.Len(), bytes.Equal(got.Bytes(), pattern(0, sent)))
	}
}
