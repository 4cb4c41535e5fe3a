package aio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// runLoop runs main as the main task of a fresh loop and fails the test on
// its error.
func runLoop(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	if err := aio.Run(context.Background(), main); err != nil {
		t.Fatal(err)
	}
}

// inGoroutine runs fn on a goroutine of its own (the threading world) and
// returns a future of its error, for a task to await.
func inGoroutine(fn func(ctx context.Context) error) *duet.Future[struct{}] {
	f := duet.NewFuture[struct{}]()
	go func() { f.Complete(struct{}{}, fn(context.Background())) }()
	return f
}

func await(ctx context.Context, f *duet.Future[struct{}]) error {
	_, err := duet.Await(ctx, f)
	return err
}

func want(got []byte, err error, s string) error {
	if err != nil {
		return fmt.Errorf("want %q, got error %v", s, err)
	}
	if string(got) != s {
		return fmt.Errorf("got %q, want %q", got, s)
	}
	return nil
}

// Tasks read and write: the reads see the bytes cut into 3-byte chunks and
// reassemble them, and Close gives the reader the end of the stream.
func TestStreamTasksReadWrite(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 3)
		writer := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			for _, s := range []string{"hello\n", "0123456789", "key=value;", "tail"} {
				if err := a.Write(ctx, []byte(s)); err != nil {
					return struct{}{}, err
				}
				if err := a.Drain(ctx); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, a.Close()
		})
		p, err := b.ReadLine(ctx)
		if err := want(p, err, "hello\n"); err != nil {
			return err
		}
		p, err = b.ReadExactly(ctx, 10)
		if err := want(p, err, "0123456789"); err != nil {
			return err
		}
		p, err = b.ReadUntil(ctx, []byte(";"), []byte("="))
		if err := want(p, err, "key="); err != nil {
			return err
		}
		p, err = b.ReadUntil(ctx, []byte(";"))
		if err := want(p, err, "value;"); err != nil {
			return err
		}
		var rest []byte
		for {
			p, err := b.Read(ctx, 2)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			rest = append(rest, p...)
		}
		if string(rest) != "tail" || !b.AtEOF() {
			return fmt.Errorf("rest %q, AtEOF %v", rest, b.AtEOF())
		}
		if p, err := b.Read(ctx, 10); p != nil || err != io.EOF {
			return fmt.Errorf("Read after EOF: %q, %v", p, err)
		}
		if b.LocalAddr().String() != "b" || b.RemoteAddr().String() != "a" {
			return fmt.Errorf("addresses %v %v", b.LocalAddr(), b.RemoteAddr())
		}
		_, err = duet.Await(ctx, writer)
		return err
	})
}

// ReadInto fills the caller's buffer with what has arrived, up to its
// length, waits when nothing has, and ends with io.EOF (that it allocates
// nothing is TestStreamReadIntoAllocatesNothing's).
func TestStreamReadInto(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 3)
		buf := make([]byte, 4)
		if n, err := b.ReadInto(ctx, buf[:0]); n != 0 || err != nil {
			return fmt.Errorf("ReadInto of an empty buffer: %d, %v", n, err)
		}
		if _, err := b.ReadInto(nil, buf); !errors.Is(err, duet.ErrNilContext) {
			return fmt.Errorf("ReadInto with a nil context: %v", err)
		}
		late := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			duet.Sleep(ctx, 2*time.Millisecond) // the reader waits first
			return struct{}{}, a.Write(ctx, []byte("abcdefg"))
		})
		var got []byte
		for len(got) < 7 {
			n, err := b.ReadInto(ctx, buf)
			if err != nil || n == 0 || n > len(buf) {
				return fmt.Errorf("ReadInto: %d, %v", n, err)
			}
			got = append(got, buf[:n]...)
		}
		if string(got) != "abcdefg" {
			return fmt.Errorf("read %q", got)
		}
		if _, err := duet.Await(ctx, late); err != nil {
			return err
		}
		a.WriteEOF()
		for {
			n, err := b.ReadInto(ctx, buf)
			if err == io.EOF && n == 0 {
				return nil
			}
			if err != nil {
				return fmt.Errorf("ReadInto at the end: %d, %v", n, err)
			}
		}
	})
}

// The end of the stream cuts each kind of read as documented: partial data
// in an *IncompleteReadError, io.EOF when nothing is left, a last line
// without its newline.
func TestStreamReadsAtEOF(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 2)
		a.Write(ctx, []byte("line\nabcdefXYZ--last"))
		a.WriteEOF()
		if err := a.Write(ctx, []byte("x")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after WriteEOF: %v", err)
		}
		p, err := b.ReadLine(ctx)
		if err := want(p, err, "line\n"); err != nil {
			return err
		}
		p, err = b.ReadUntil(ctx, []byte("XYZ"))
		if err := want(p, err, "abcdefXYZ"); err != nil {
			return err
		}
		p, err = b.ReadExactly(ctx, 2)
		if err := want(p, err, "--"); err != nil {
			return err
		}
		p, err = b.ReadExactly(ctx, 10)
		var inc *aio.IncompleteReadError
		if !errors.As(err, &inc) || string(inc.Partial) != "last" || string(p) != "last" || inc.Expected != 10 || !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("ReadExactly at EOF: %q, %v", p, err)
		}
		if p, err := b.ReadExactly(ctx, 1); p != nil || err != io.EOF {
			return fmt.Errorf("ReadExactly after EOF: %q, %v", p, err)
		}
		if p, err := b.ReadUntil(ctx, []byte("\n")); p != nil || err != io.EOF {
			return fmt.Errorf("ReadUntil after EOF: %q, %v", p, err)
		}
		if p, err := b.ReadLine(ctx); p != nil || err != io.EOF {
			return fmt.Errorf("ReadLine after EOF: %q, %v", p, err)
		}
		// The other direction still works after a half-close.
		b.Write(ctx, []byte("reply"))
		b.Close()
		p, err = a.ReadExactly(ctx, 5)
		if err := want(p, err, "reply"); err != nil {
			return err
		}
		// ReadLine and ReadUntil at a partial end.
		c, d, _, _ := streamPair(aio.LoopOf(ctx), 4)
		c.Write(ctx, []byte("no newline"))
		c.Close()
		p, err = d.ReadLine(ctx)
		if err := want(p, err, "no newline"); err != nil {
			return err
		}
		if _, err := d.ReadLine(ctx); err != io.EOF {
			return fmt.Errorf("ReadLine after the last line: %v", err)
		}
		e, f, _, _ := streamPair(aio.LoopOf(ctx), 4)
		e.Write(ctx, []byte("partial"))
		e.Close()
		p, err = f.ReadUntil(ctx, []byte("!"))
		if !errors.As(err, &inc) || string(p) != "partial" || inc.Expected != -1 {
			return fmt.Errorf("ReadUntil at EOF: %q, %v", p, err)
		}
		// The peer's close half-closed a (EOFReceived keeps it open for
		// writing, as asyncio does): it is lost once it closes too.
		a.Close()
		return a.WaitClosed(ctx)
	})
}

// A goroutine reads while a task writes, and a task reads while a
// goroutine writes, on the same stream: the bytes arrive whole and in
// order both ways.
func TestStreamGoroutineAndTaskOnOneStream(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 7)
		const n = 200
		// Goroutine reads b while this task writes a.
		reader := inGoroutine(func(gctx context.Context) error {
			for i := range n {
				p, err := b.ReadLine(gctx)
				if err := want(p, err, fmt.Sprintf("line %d\n", i)); err != nil {
					return err
				}
			}
			// Then the goroutine writes b, which the task reads from a.
			for i := range n {
				if err := b.Write(gctx, []byte(fmt.Sprintf("back %d;", i))); err != nil {
					return err
				}
				if i%10 == 0 {
					if err := b.Drain(gctx); err != nil {
						return err
					}
				}
			}
			return b.Close()
		})
		for i := range n {
			if err := a.Write(ctx, []byte(fmt.Sprintf("line %d\n", i))); err != nil {
				return err
			}
		}
		for i := range n {
			p, err := a.ReadUntil(ctx, []byte(";"))
			if err := want(p, err, fmt.Sprintf("back %d;", i)); err != nil {
				return err
			}
		}
		if _, err := a.Read(ctx, 1); err != io.EOF {
			return fmt.Errorf("after the goroutine's Close: %v", err)
		}
		if err := b.WaitClosed(ctx); err != nil {
			return err
		}
		return await(ctx, reader)
	})
}

// Writes from a goroutine and from a task that the goroutine's writes
// happen before keep their order: the task's inline write does not
// overtake bytes still waiting for the loop.
func TestStreamWriteOrderAcrossWorlds(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 1<<20)
		var ev duet.Event
		g := inGoroutine(func(gctx context.Context) error {
			if err := a.Write(gctx, []byte("first,")); err != nil {
				return err
			}
			ev.Set()
			return nil
		})
		if err := ev.Wait(ctx); err != nil {
			return err
		}
		a.Write(ctx, []byte("second"))
		a.Close()
		p, err := b.ReadExactly(ctx, len("first,second"))
		if err := want(p, err, "first,second"); err != nil {
			return err
		}
		return await(ctx, g)
	})
}

// ReadUntil past the limit fails with a *LimitOverrunError and leaves the
// bytes buffered (Read takes them, and ReadUntil works again); ReadLine
// skips an over-long line whole; the stream stops its transport's reading
// above twice the limit and resumes it once a reader drains it.
func TestStreamLimitOverrunAndRecovery(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, tb := streamPair(aio.LoopOf(ctx), 5, aio.WithLimit(8))
		a.Write(ctx, []byte("0123456789ABCDEF;ok;"))
		_, err := b.ReadUntil(ctx, []byte(";"))
		var lim *aio.LimitOverrunError
		if !errors.As(err, &lim) || lim.Limit != 8 || lim.Consumed != 9 || !strings.Contains(err.Error(), "WithLimit") {
			return fmt.Errorf("ReadUntil past the limit: %v", err)
		}
		p, err := b.ReadExactly(ctx, 17)
		if err := want(p, err, "0123456789ABCDEF;"); err != nil {
			return err
		}
		p, err = b.ReadUntil(ctx, []byte(";"))
		if err := want(p, err, "ok;"); err != nil {
			return err
		}
		a.Write(ctx, []byte("this line is far too long\nshort\n"))
		if _, err := b.ReadLine(ctx); !errors.As(err, &lim) {
			return fmt.Errorf("ReadLine past the limit: %v", err)
		}
		p, err = b.ReadLine(ctx)
		if err := want(p, err, "short\n"); err != nil {
			return err
		}
		// Flow control: 40 bytes unread (> 2*8) pause b's transport.
		a.Write(ctx, bytes.Repeat([]byte("x"), 40))
		for tb.IsReading() {
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		if tb.WriteBufferSize() != 0 || a.Transport().WriteBufferSize() == 0 {
			return fmt.Errorf("paused with %d bytes left at the writer", a.Transport().WriteBufferSize())
		}
		// Reading down to the limit resumes it.
		got := 0
		for got < 40 {
			p, err := b.Read(ctx, 40)
			if err != nil {
				return err
			}
			got += len(p)
		}
		if !tb.IsReading() || got != 40 {
			return fmt.Errorf("reading %v after %d bytes", tb.IsReading(), got)
		}
		return nil
	})
}

// ReadExactly of more than twice the limit completes: waiting for bytes
// while reading is paused resumes it (asyncio's _wait_for_data), from a
// task and from a goroutine.
func TestStreamReadExactlyBeyondPause(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 3, aio.WithLimit(4))
		big := bytes.Repeat([]byte("0123456789"), 10)
		a.Write(ctx, big)
		p, err := b.ReadExactly(ctx, len(big))
		if err := want(p, err, string(big)); err != nil {
			return err
		}
		a.Write(ctx, big)
		g := inGoroutine(func(gctx context.Context) error {
			p, err := b.ReadExactly(gctx, len(big))
			return want(p, err, string(big))
		})
		return await(ctx, g)
	})
}

// Drain waits while the transport's buffer is above its high watermark,
// for several tasks and goroutines at once, and lets all of them go when
// the reader catches up (cpython#74116).
func TestStreamDrainSeveralDrainers(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, ta, tb := streamPair(aio.LoopOf(ctx), 16)
		ta.SetWriteBufferLimits(64, 16)
		tb.PauseReading() // b takes nothing until resumed
		if err := a.Write(ctx, bytes.Repeat([]byte("y"), 1000)); err != nil {
			return err
		}
		var done [6]*duet.Future[struct{}]
		for i := range 3 {
			done[i] = aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
				return struct{}{}, a.Drain(ctx)
			}).Future()
			done[3+i] = inGoroutine(func(gctx context.Context) error {
				return a.Drain(gctx)
			})
		}
		for range 20 {
			if err := duet.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		for i, d := range done {
			if d.IsDone() {
				return fmt.Errorf("drainer %d returned while the buffer is full: %v", i, d.Err())
			}
		}
		tb.ResumeReading()
		got := 0
		for got < 1000 {
			p, err := b.Read(ctx, 1000)
			if err != nil {
				return err
			}
			got += len(p)
		}
		for i, d := range done {
			if err := await(ctx, d); err != nil {
				return fmt.Errorf("drainer %d: %v", i, err)
			}
		}
		return nil
	})
}

// A goroutine's Drain returns once its bytes are in the transport, and a
// cancelled drainer leaves the others waiting.
func TestStreamDrainGoroutineAndCancel(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, ta, tb := streamPair(aio.LoopOf(ctx), 8)
		ta.SetWriteBufferLimits(32, 8)
		tb.PauseReading()
		g := inGoroutine(func(gctx context.Context) error {
			if err := a.Write(gctx, bytes.Repeat([]byte("z"), 100)); err != nil {
				return err
			}
			short, cancel := context.WithTimeout(gctx, 5*time.Millisecond)
			defer cancel()
			if err := a.Drain(short); !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("Drain with a deadline: %v", err)
			}
			return a.Drain(gctx)
		})
		if err := duet.Sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
		if g.IsDone() {
			return fmt.Errorf("goroutine drainer done early: %v", g.Err())
		}
		tb.ResumeReading()
		if _, err := b.ReadExactly(ctx, 100); err != nil {
			return err
		}
		return await(ctx, g)
	})
}

// A WaitClosed that gives up (its context ends) leaves the stream's other
// waiters, and the next WaitClosed, as they were.
func TestStreamWaitClosedCancelled(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, _, _, _ := streamPair(aio.LoopOf(ctx), 4)
		tctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		if err := a.WaitClosed(tctx); !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("WaitClosed with a context that ends: %v, want the deadline", err)
		}
		gctx, gcancel := context.WithCancel(context.Background())
		g := inGoroutine(func(context.Context) error { return a.WaitClosed(gctx) })
		w := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, a.WaitClosed(ctx) })
		duet.Sleep(ctx, time.Millisecond)
		gcancel()
		if err := await(ctx, g); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("a goroutine's cancelled WaitClosed: %v", err)
		}
		if w.IsDone() {
			return fmt.Errorf("WaitClosed returned before the close")
		}
		a.Close()
		if _, err := duet.Await(ctx, w); err != nil {
			return fmt.Errorf("WaitClosed after Close: %v", err)
		}
		return a.WaitClosed(ctx) // closed: at once
	})
}

// WaitClosed returns only once ConnectionLost has been called, which Close
// delays until the buffered bytes are sent; it gives the error a
// connection is lost with.
func TestStreamWaitClosedWaitsForConnectionLost(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, ta, tb := streamPair(aio.LoopOf(ctx), 4)
		tb.PauseReading()
		a.Write(ctx, []byte("pending bytes"))
		if err := a.Close(); err != nil {
			return err
		}
		if err := a.Close(); err != nil { // again: nothing
			return err
		}
		if err := a.Write(ctx, []byte("x")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after Close: %v", err)
		}
		if err := a.Drain(ctx); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Drain after Close: %v", err)
		}
		w := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, a.WaitClosed(ctx) })
		g := inGoroutine(func(gctx context.Context) error { return a.WaitClosed(gctx) })
		for range 10 {
			duet.Sleep(ctx, time.Millisecond)
		}
		if w.IsDone() || g.IsDone() || ta.lostCalled.Load() {
			return fmt.Errorf("WaitClosed returned before ConnectionLost")
		}
		tb.ResumeReading()
		if _, err := duet.Await(ctx, w); err != nil {
			return err
		}
		if !ta.lostCalled.Load() {
			return fmt.Errorf("WaitClosed returned before ConnectionLost")
		}
		if err := await(ctx, g); err != nil {
			return err
		}
		p, err := b.ReadExactly(ctx, len("pending bytes"))
		if err := want(p, err, "pending bytes"); err != nil {
			return err
		}
		// A connection lost with an error: reads give the bytes received,
		// then the error; WaitClosed and Drain give it.
		c, d, tc, td := streamPair(aio.LoopOf(ctx), 4)
		c.Write(ctx, []byte("12345678"))
		if _, err := d.ReadExactly(ctx, 8); err != nil {
			return err
		}
		c.Write(ctx, []byte("ab"))
		for tc.WriteBufferSize() > 0 {
			duet.Sleep(ctx, 0)
		}
		reset := errors.New("connection reset")
		td.reset(reset)
		p, err = d.Read(ctx, 10)
		if err := want(p, err, "ab"); err != nil {
			return err
		}
		if _, err := d.Read(ctx, 10); err != reset {
			return fmt.Errorf("Read after a reset: %v", err)
		}
		if err := d.Drain(ctx); err != reset {
			return fmt.Errorf("Drain after a reset: %v", err)
		}
		if err := d.WaitClosed(ctx); err != reset {
			return fmt.Errorf("WaitClosed after a reset: %v", err)
		}
		return nil
	})
}

// A reader cancelled in the middle of a read loses no byte: the next read
// gets every byte that had arrived, on a task (a duet timeout, a cancel) and
// on a goroutine (a ctx deadline, which gives duet's timeout error).
func TestStreamCancelledReadLosesNothing(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 2)
		a.Write(ctx, []byte("half"))
		err := duet.WithTimeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			_, err := b.ReadExactly(ctx, 8)
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("ReadExactly under a timeout: %v", err)
		}
		r := aio.Spawn(ctx, func(ctx context.Context) ([]byte, error) { return b.ReadUntil(ctx, []byte("!")) })
		duet.Sleep(ctx, time.Millisecond)
		r.Cancel("stop")
		if _, err := duet.Await(ctx, r); !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("cancelled ReadUntil: %v", err)
		}
		g := inGoroutine(func(gctx context.Context) error {
			short, cancel := context.WithTimeout(gctx, 5*time.Millisecond)
			defer cancel()
			_, err := b.ReadLine(short)
			if !errors.Is(err, duet.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("goroutine ReadLine past its deadline: %v", err)
			}
			return nil
		})
		if err := await(ctx, g); err != nil {
			return err
		}
		a.Write(ctx, []byte("-full"))
		p, err := b.ReadExactly(ctx, 9)
		return want(p, err, "half-full")
	})
}

// Readers waiting at once are served one at a time in arrival order,
// tasks and goroutines alike, and a cancelled one passes its turn on.
func TestStreamConcurrentReadersFIFO(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		a, b, _, _ := streamPair(aio.LoopOf(ctx), 1)
		var got [4]*aio.Task[[]byte]
		for i := range got {
			got[i] = aio.Spawn(ctx, func(ctx context.Context) ([]byte, error) { return b.ReadExactly(ctx, 2) })
			duet.Sleep(ctx, 0) // they queue in this order
		}
		got[1].Cancel("")
		duet.Sleep(ctx, 0)
		g := duet.NewFuture[[]byte]()
		go func() { g.Complete(b.ReadExactly(context.Background(), 2)) }()
		time.Sleep(20 * time.Millisecond) // blocks the loop: lets the goroutine queue
		a.Write(ctx, []byte("aabbccdd"))
		for i, w := range []string{"aa", "", "bb", "cc"} {
			p, err := duet.Await(ctx, got[i])
			if i == 1 {
				if !errors.Is(err, duet.ErrCancelled) {
					return fmt.Errorf("cancelled reader: %q, %v", p, err)
				}
				continue
			}
			if err := want(p, err, w); err != nil {
				return fmt.Errorf("reader %d: %v", i, err)
			}
		}
		p, err := duet.Await(ctx, g)
		return want(p, err, "dd")
	})
}

// Every method that waits refuses a nil context; ReadUntil refuses no
// separator and an empty one.
func TestStreamRefusals(t *testing.T) {
	runLoop(t, func(ctx context.Context) error {
		_, b, _, _ := streamPair(aio.LoopOf(ctx), 4)
		var nilctx context.Context
		errs := []error{
			func() error { _, err := b.Read(nilctx, 1); return err }(),
			func() error { _, err := b.ReadExactly(nilctx, 1); return err }(),
			func() error { _, err := b.ReadUntil(nilctx, []byte("x")); return err }(),
			func() error { _, err := b.ReadLine(nilctx); return err }(),
			b.Write(nilctx, []byte("x")),
			b.Drain(nilctx),
			b.WaitClosed(nilctx),
		}
		for i, err := range errs {
			if !errors.Is(err, duet.ErrNilContext) {
				return fmt.Errorf("call %d with a nil ctx: %v", i, err)
			}
		}
		if _, err := b.ReadUntil(ctx); err == nil {
			return fmt.Errorf("ReadUntil without a separator succeeded")
		}
		if _, err := b.ReadUntil(ctx, []byte("a"), nil); err == nil {
			return fmt.Errorf("ReadUntil with an empty separator succeeded")
		}
		if p, err := b.Read(ctx, 0); err != nil || p == nil || len(p) != 0 {
			return fmt.Errorf("Read(0): %q, %v", p, err)
		}
		return nil
	})
}

// Once its loop is closed, what a stream would hand to the loop is refused
// with an error matching duet.ErrClosed.
func TestStreamAfterLoopClosed(t *testing.T) {
	var a *aio.Stream
	runLoop(t, func(ctx context.Context) error {
		a, _, _, _ = streamPair(aio.LoopOf(ctx), 4)
		return nil
	})
	if err := a.Write(context.Background(), []byte("x")); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Write on a closed loop: %v", err)
	}
	if err := a.Close(); !errors.Is(err, duet.ErrClosed) {
		t.Fatalf("Close on a closed loop: %v", err)
	}
}
