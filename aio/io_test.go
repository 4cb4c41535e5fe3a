package aio_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// socketpair returns a connected pair of non-blocking stream sockets,
// closed at the end of the test.
func socketpair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0) // SOCK_NONBLOCK is not on macOS
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	return fds[0], fds[1]
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

// A reader registered from a task hears bytes a goroutine writes, on the
// loop, and the loop's poller leaves no descriptor behind.
func TestAddReaderHearsAGoroutine(t *testing.T) {
	before := openFDs(t)
	a, b := socketpair(t)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		got := duet.NewFuture[string]()
		var buf []byte
		err := l.AddReader(a, func() {
			p := make([]byte, 64)
			n, err := unix.Read(a, p)
			if n > 0 {
				buf = append(buf, p[:n]...)
			}
			if strings.HasSuffix(string(buf), "\n") || err == nil && n == 0 {
				l.RemoveReader(a) // from its own callback
				got.SetResult(string(buf))
			}
		})
		if err != nil {
			return err
		}
		go func() {
			unix.Write(b, []byte("hello "))
			time.Sleep(time.Millisecond)
			unix.Write(b, []byte("world\n"))
		}()
		s, err := duet.Await(ctx, got)
		if s != "hello world\n" {
			return fmt.Errorf("read %q, %v", s, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(a)
	unix.Close(b)
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

// Level-triggered, as asyncio's: a reader that does not read runs again at
// every iteration until removed; a writer runs while the fd is writable.
func TestAddReaderIsLevelTriggered(t *testing.T) {
	a, b := socketpair(t)
	unix.Write(b, []byte("x"))
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		reads, writes := 0, 0
		if err := l.AddReader(a, func() { reads++ }); err != nil {
			return err
		}
		if err := l.AddWriter(a, func() { writes++ }); err != nil {
			return err
		}
		for range 5 {
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		if !l.RemoveReader(a) || !l.RemoveWriter(a) || l.RemoveReader(a) {
			return errors.New("Remove did not report the registrations")
		}
		if reads < 3 || writes < 3 {
			return fmt.Errorf("in 5 iterations the reader ran %d times, the writer %d", reads, writes)
		}
		r, w := reads, writes
		for range 3 {
			duet.Sleep(ctx, 0)
		}
		if reads != r || writes != w {
			return errors.New("a removed callback ran")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A panicking reader is reported and stays registered; the loop goes on.
func TestAddReaderPanicIsReported(t *testing.T) {
	a, b := socketpair(t)
	unix.Write(b, []byte("x"))
	var reports []aio.ExceptionContext
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		runs := 0
		l.AddReader(a, func() {
			runs++
			if runs == 1 {
				panic("bad reader")
			}
		})
		for runs < 2 {
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		l.RemoveReader(a)
		return nil
	}, aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) { reports = append(reports, ec) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !strings.Contains(fmt.Sprint(reports[0].Err), "bad reader") {
		t.Fatalf("reports: %+v", reports)
	}
}

func TestAddReaderBadInput(t *testing.T) {
	a, _ := socketpair(t)
	f, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := aio.New()
	// From a plain goroutine, the loop not running.
	if err := l.AddReader(a, func() {}); err == nil || !strings.Contains(err.Error(), "from a task or a callback") {
		t.Errorf("AddReader from a goroutine: %v", err)
	}
	_, err = aio.RunUntilComplete(l, aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		if err := l.AddReader(a, nil); err == nil || !strings.Contains(err.Error(), "nil function") {
			return 0, fmt.Errorf("nil fn: %v", err)
		}
		if err := l.AddReader(-1, func() {}); err == nil {
			return 0, errors.New("fd -1 accepted")
		}
		if err := l.AddReader(int(f.Fd()), func() {}); err == nil || !strings.Contains(err.Error(), fmt.Sprint(f.Fd())) {
			return 0, fmt.Errorf("a regular file: %v", err)
		}
		res := make(chan error, 1)
		go func() { res <- l.AddWriter(a, func() {}) }()
		if err := <-res; err == nil || !strings.Contains(err.Error(), "from a task or a callback") {
			return 0, fmt.Errorf("AddWriter from a goroutine while the loop runs: %v", err)
		}
		return 0, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.AddReader(a, func() {}); !errors.Is(err, duet.ErrClosed) {
		t.Errorf("AddReader on a closed loop: %v", err)
	}
}

// Under a virtual clock a registered reader holds the clock for the
// autojump threshold: with no threshold limit, bytes that a goroutine
// sends after 20 ms of real time arrive before a one-hour sleep ends, at
// the virtual time the loop started at.
func TestAddReaderHoldsVirtualClock(t *testing.T) {
	a, b := socketpair(t)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		start := l.Time()
		heard := duet.NewFuture[time.Duration]()
		l.AddReader(a, func() {
			p := make([]byte, 8)
			unix.Read(a, p)
			l.RemoveReader(a)
			heard.SetResult(l.Time().Sub(start))
		})
		sleeper := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, duet.Sleep(ctx, time.Hour) })
		go func() { time.Sleep(20 * time.Millisecond); unix.Write(b, []byte("x")) }()
		at, err := duet.Await(ctx, heard)
		if err != nil || at != 0 {
			return fmt.Errorf("heard the bytes at %v of virtual time (%v), want 0", at, err)
		}
		if _, err := duet.Await(ctx, sleeper); err != nil {
			return err
		}
		if d := l.Time().Sub(start); d != time.Hour {
			return fmt.Errorf("the sleep ended at %v, want 1h (the clock jumps once the reader is gone)", d)
		}
		return nil
	}, aio.WithVirtualClock(), aio.WithAutojumpThreshold(duet.NoTimeout))
	if err != nil {
		t.Fatal(err)
	}
}
