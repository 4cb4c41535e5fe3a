package poll_test

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet/internal/poll"
)

// hangGuard is how long a test lets a wait that should end run before it
// gives up: a guard against hangs, not a bound on latency.
const hangGuard = 10 * time.Second

func newPoller(t testing.TB) *poll.Poller {
	t.Helper()
	checkFDs(t)
	p, err := poll.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// guardWake wakes p after hangGuard and reports whether it had to.
func guardWake(t testing.TB, p *poll.Poller) *atomic.Bool {
	var fired atomic.Bool
	tm := time.AfterFunc(hangGuard, func() { fired.Store(true); p.Wake() })
	t.Cleanup(func() { tm.Stop() })
	return &fired
}

func TestWakeEndsUnlimitedPoll(t *testing.T) {
	p := newPoller(t)
	guard := guardWake(t, p)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(20 * time.Millisecond)
		p.Wake()
	}()
	start := time.Now()
	n, err := p.Poll(-1)
	wg.Wait()
	if err != nil || n != 0 || guard.Load() {
		t.Fatalf("Poll(-1) = %d, %v after %v (hang guard fired: %v)", n, err, time.Since(start), guard.Load())
	}
}

func TestWakesCoalesce(t *testing.T) {
	p := newPoller(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				p.Wake()
			}
		}()
	}
	wg.Wait()
	if w := p.WakeWrites(); w != 1 {
		t.Fatalf("8000 Wakes before a Poll wrote %d times, want 1", w)
	}
	if _, err := p.Poll(0); err != nil {
		t.Fatal(err)
	}
	// The wake-up was consumed once: the next Poll waits its whole timeout.
	start := time.Now()
	if _, err := p.Poll(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("a consumed wake-up ended the next Poll after %v", d)
	}
	p.Wake()
	if w := p.WakeWrites(); w != 2 {
		t.Fatalf("a Wake after the Poll wrote %d times in all, want 2", w)
	}
	guard := guardWake(t, p)
	if _, err := p.Poll(-1); err != nil || guard.Load() {
		t.Fatalf("a Wake before Poll(-1) did not end it: %v", err)
	}
}

func TestWakeFromManyGoroutinesWhilePolling(t *testing.T) {
	p := newPoller(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				p.Wake()
				time.Sleep(50 * time.Microsecond)
			}
		}()
	}
	for range 200 {
		if _, err := p.Poll(time.Second); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
}

func TestPollTimeoutNeverEarly(t *testing.T) {
	p := newPoller(t)
	for _, d := range []time.Duration{0, time.Nanosecond, 300 * time.Microsecond, time.Millisecond, 1500 * time.Microsecond, 25 * time.Millisecond} {
		start := time.Now()
		n, err := p.Poll(d)
		took := time.Since(start)
		if err != nil || n != 0 {
			t.Fatalf("Poll(%v) = %d, %v", d, n, err)
		}
		if took < d {
			t.Errorf("Poll(%v) returned after %v", d, took)
		}
		if took > d+hangGuard {
			t.Errorf("Poll(%v) hung for %v", d, took)
		}
	}
}

func TestClosedPoller(t *testing.T) {
	checkFDs(t)
	p, err := poll.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	p.Wake() // does nothing, and must not write to a closed fd
	if _, err := p.Poll(0); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Poll after Close: %v", err)
	}
	if _, err := p.Register(0); err == nil {
		t.Fatal("Register after Close succeeded")
	}
}

// Wakes racing with Close must neither fail nor write to a closed (and
// perhaps reused) fd; run under -race.
func TestWakeRacesWithClose(t *testing.T) {
	checkFDs(t)
	for range 50 {
		p, err := poll.New()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					p.Wake()
					runtime.Gosched()
				}
			}()
		}
		for range 20 {
			p.Poll(0) // consumes wake-ups, so that later Wakes write
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}
