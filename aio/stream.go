package aio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/duet-go/duet/internal/park"
)

// DefaultStreamLimit is a stream's limit unless WithLimit gives another:
// 64 KiB, asyncio's _DEFAULT_LIMIT.
const DefaultStreamLimit = 64 << 10

// StreamOption configures a Stream when it is made.
type StreamOption func(*streamConfig)

type streamConfig struct {
	limit int
	conn  []ConnOption   // Dial's, for CreateConnection
	srv   []ServerOption // Listen's, for CreateServer
	tls   *tlsSetup      // WithStreamTLS
}

// WithLimit sets a stream's limit, in bytes (n <= 0 means
// DefaultStreamLimit): the longest chunk ReadUntil and ReadLine look for a
// separator in before they fail with a *LimitOverrunError, and half the
// number of received bytes above which the stream stops reading from its
// transport until a reader takes some (Python: the limit argument of
// open_connection and start_server).
func WithLimit(n int) StreamOption {
	return func(c *streamConfig) {
		if n > 0 {
			c.limit = n
		}
	}
}

var (
	errStreamClosed = fmt.Errorf("aio: the stream is closed: %w", net.ErrClosed)
	errStreamEOF    = fmt.Errorf("aio: the stream's writing side is closed (WriteEOF): %w", net.ErrClosed)
	errConnLost     = fmt.Errorf("aio: the stream's connection is lost: %w", net.ErrClosed)
	errNoSeparator  = errors.New("aio: Stream.ReadUntil: no separator given")
	errEmptySep     = errors.New("aio: Stream.ReadUntil: an empty separator (separators are at least one byte)")
)

// Stream is a connection read and written as a stream of bytes: asyncio's
// StreamReader and StreamWriter in one value. Loop tasks and goroutines may
// use one Stream at the same time: every method that waits takes a context
// first, and on a task of any loop waiting suspends the task, on a
// goroutine it blocks, as duet's primitives do. A wait ends early when the
// waiting task is cancelled or the context ends, with duet's usual errors
// (matching duet.ErrCancelled, or duet.ErrTimeout for a deadline), and a
// nil context is refused with an error matching duet.ErrNilContext.
//
// Reading. The read methods take bytes from a receive buffer that the
// connection fills. The end of the stream is io.EOF, returned only by a
// read that returns no byte: a read that meets the end part way gives what
// it has (Read, ReadLine) or a *IncompleteReadError carrying it
// (ReadExactly, ReadUntil), and the next read gives io.EOF. A connection
// lost with an error (a reset) gives the bytes received before it, then
// that error. Reads are served one at a time, in the order they began,
// whatever world they come from: a second reader waits for the first to
// finish rather than being refused (asyncio raises RuntimeError "already
// waiting for incoming data"), since a task and a goroutine cannot
// coordinate through asyncio's single-reader rule. A read that is
// cancelled takes no byte: the next read gets them all.
//
// Writing. Write buffers and never waits; Drain waits for the buffer to
// go down (back-pressure); Close and WaitClosed end the connection. The
// transport underneath belongs to the loop's goroutine, so a write made by
// a task of the stream's loop goes to it at once, and one made elsewhere
// (a goroutine, a task of another loop, a callback) is copied and handed to
// it by a callback on the loop, in order: bytes written before a Write,
// WriteEOF or Close returns go out before those written after it.
//
// Every method is safe from any goroutine. A read or Drain that can
// complete at once does so without looking at ctx (as duet's Queue.Get),
// so an ended ctx stops only a wait. On a closed loop, Close, WriteEOF
// and a Write made off the loop that needs the loop to carry it return an
// error matching duet.ErrClosed.
//
// NetConn gives the stream as a net.Conn, for goroutine-side Go code
// (bufio, net/http, crypto/tls). StartTLS (asyncio's start_tls) upgrades
// the connection to TLS in place; WithStreamTLS makes Dial and Listen
// speak TLS from the start.
//
// A Stream is made by Dial (a connection out) or handed to a Listen or
// NetListen handler (a connection in); the zero Stream is not usable.
//
// A Stream is held for as long as its connection is open, by every idle
// connection of a server too, so its fields are laid out to keep it small
// (the flags together, nothing the transport already knows).
type Stream struct {
	l *Loop

	mu sync.Mutex
	// Reading, guarded by mu.
	buf   recvBuf
	dataw *park.Waiter // the turn's holder, waiting for bytes
	waits *streamWaits // made by the first wait that queues (see streamWaits)

	// Writing, guarded by mu.
	tr      Transport   // nil until ConnectionMade, and during StartTLS's handshake
	rare    *streamRare // made by the first write off the loop, NetConn, Dial or StartTLS
	queued  uint64      // bytes ever put in out
	flushed uint64      // bytes ever taken from out
	lostErr error       // the error the connection was lost with: reads give it once the buffer is read

	// Flags, guarded by mu.
	turn           bool // a reader holds the read turn
	readPaused     bool // the stream paused the transport's reading
	flushScheduled bool
	closeReq       bool // Close was called
	closeDone      bool // tr.Close was called
	eofReq         bool // WriteEOF was called
	eofDone        bool // tr.WriteEOF was called
	writePaused    bool // PauseWriting without ResumeWriting
	lost           bool // ConnectionLost was called: WaitClosed returns
	server         bool // a Listen handler's: StartTLS's default side
	started        bool // a served stream's handler runs: a second ConnectionMade is StartTLS's

	// handler is a served connection's handler (Listen), which its task
	// runs; nil for a stream Dial made.
	handler func(ctx context.Context, s *Stream) error
}

// streamWaits holds the queues of waits that few streams ever have, kept
// out of every Stream: readers waiting for another reader's turn (turnq,
// in arrival order), Drains waiting for the transport's buffer to go down
// (drainers), and WaitClosed's waiters (closers). A stream read by one
// task at a time, whose writes the socket takes, never needs it; the
// waiter of a read waiting for bytes is dataw.
type streamWaits struct {
	turnq, drainers, closers park.List
}

// waitsLocked returns s.waits, making it.
func (s *Stream) waitsLocked() *streamWaits {
	if s.waits == nil {
		s.waits = new(streamWaits)
	}
	return s.waits
}

// detachDrainersLocked takes every waiting Drain out, to be woken once mu
// is released.
func (s *Stream) detachDrainersLocked() *park.Waiter {
	if s.waits == nil {
		return nil
	}
	return s.waits.drainers.Detach()
}

// streamRare holds what few streams need, kept out of every Stream: a
// failed write's error, the bytes written off the loop, not yet handed
// to the transport (out), the memory of the last batch, for the next
// (spare), the net.Conn view, Dial's host (StartTLS's default server
// name), and the connection's addresses when its transport cannot give
// them off the loop (see fixedAddrs) or is being upgraded by StartTLS.
// A served TCP stream used only by tasks of its loop never needs it.
type streamRare struct {
	writeErr     error // the first failed write's: later writes and Drains fail with it
	out, spare   []byte
	conn         *streamConn
	host         string
	addrs        bool // laddr and raddr are the stream's addresses
	laddr, raddr net.Addr
}

// rareLocked returns s.rare, making it.
func (s *Stream) rareLocked() *streamRare {
	if s.rare == nil {
		s.rare = new(streamRare)
	}
	return s.rare
}

// newStream returns a stream of loop l that is not connected yet, and the
// protocol to give its transport: the transport's ConnectionMade attaches
// it. Writes and Close made before that wait in the stream and reach the
// transport in ConnectionMade. One protocol per stream.
func newStream(l *Loop, opts ...StreamOption) (*Stream, Protocol) {
	c := streamConfig{limit: DefaultStreamLimit}
	for _, o := range opts {
		o(&c)
	}
	s := &Stream{l: l}
	s.buf.limit = c.limit
	return s, (*streamProto)(s)
}

// onLoop reports whether the caller, described by ctx, is a task of the
// stream's loop that is running now: the one kind of caller that may use the
// transport directly. Everything else goes through the loop (CallSoon).
func (s *Stream) onLoop(ctx context.Context) bool {
	t, ok := park.Current(ctx).(*task)
	return ok && t.loop == s.l
}

// ---- Reading ----

// read runs one read: it takes the read turn (in arrival order), then
// calls try with mu held until try reports that it is done, waiting for
// bytes in between. try takes bytes from s.buf or nothing. When try is not
// done and no more bytes can come (the connection was lost with an error),
// read returns that error.
//
// An idle connection's handler is parked here, with this frame on its
// stack (see park.Task): what is rare (waiting for the turn, a lost
// connection, paused reading) is in functions of their own.
func (s *Stream) read(ctx context.Context, try func() bool) error {
	s.mu.Lock()
	if !s.turn {
		s.turn = true
	} else if err := s.waitTurnLocked(ctx); err != nil {
		return err
	}
	for !try() {
		if s.lostErr != nil || s.readPaused {
			if err := s.cannotWaitLocked(ctx); err != nil {
				return err
			}
			continue // bytes may have come while mu was released
		}
		w := dataWaiter(ctx).Labeled(labelStreamRead, s) // On, s, is for dropData too: a method value would be allocated on each wait
		s.dataw = w
		s.mu.Unlock()
		_, err := park.Wait(ctx, w, dropData)
		s.mu.Lock()
		if s.dataw == w {
			s.dataw = nil
		}
		if err != nil {
			// Nothing was taken; bytes that woke us stay for the next
			// reader, which tries before it waits.
			s.releaseTurnLocked()
			s.mu.Unlock()
			return err
		}
	}
	if s.readPaused {
		s.readDoneLocked(ctx)
		return nil
	}
	s.releaseTurnLocked()
	s.mu.Unlock()
	return nil
}

// dataWaiter returns the waiter of a read waiting for bytes. A task whose
// every cancellation comes as a task cancellation (ctx is its own, or a
// duet scope of it) waits on its reusable waiter, as Await does: nothing
// but the stream and the task's own cancellation can resolve it, and both
// let go of it before the task resumes, so a read allocates nothing.
// Another context is watched by a context.AfterFunc that may still fire
// after the wait ends: such a wait gets a waiter of its own.
func dataWaiter(ctx context.Context) *park.Waiter {
	if t := park.Current(ctx); t != nil && t.Owns(ctx) {
		return t.AwaitWaiter()
	}
	return park.NewWaiter(ctx)
}

// waitTurnLocked waits for the read turn, held by another reader; it is
// entered with mu held, and left with it held and the turn taken, or
// released and an error.
func (s *Stream) waitTurnLocked(ctx context.Context) error {
	w := park.NewWaiter(ctx).Labeled(labelStreamTurn, s)
	s.waitsLocked().turnq.PushBack(w)
	s.mu.Unlock()
	granted, err := park.Wait(ctx, w, s.dropTurnWaiter)
	s.mu.Lock()
	if err != nil {
		s.waits.turnq.Remove(w)
		if granted {
			s.releaseTurnLocked() // handed the turn, then cancelled: pass it on
		}
		s.mu.Unlock()
	}
	return err
}

// cannotWaitLocked is read's check before it waits for bytes, with mu
// held: a connection lost with an error gives no more bytes (the turn is
// released, mu too, and the error returned), and waiting while reading is
// paused would wait forever (a ReadExactly longer than twice the limit),
// so reading resumes, as asyncio's _wait_for_data does (DataReceived
// pauses again); mu is released meanwhile, so read tries again.
func (s *Stream) cannotWaitLocked(ctx context.Context) error {
	if err := s.lostErr; err != nil {
		s.releaseTurnLocked()
		s.mu.Unlock()
		return err
	}
	s.readPaused = false
	s.mu.Unlock()
	s.resumeReading(s.onLoop(ctx))
	s.mu.Lock()
	return nil
}

// readDoneLocked ends a read made while reading is paused: it releases
// the turn and mu, and resumes reading once the buffer is down to the
// limit.
func (s *Stream) readDoneLocked(ctx context.Context) {
	resume := len(s.buf.unread()) <= s.buf.limit
	s.readPaused = !resume
	s.releaseTurnLocked()
	s.mu.Unlock()
	if resume {
		s.resumeReading(s.onLoop(ctx))
	}
}

// releaseTurnLocked hands the read turn to the oldest waiting reader, or
// frees it.
func (s *Stream) releaseTurnLocked() {
	if s.waits == nil || !s.waits.turnq.WakeFirst() {
		s.turn = false
	}
}

// dropTurnWaiter and dropDataWaiter take out the waiter of a task destroyed
// while it waits (its loop closed), passing on the turn it had or held.
func (s *Stream) dropTurnWaiter(w *park.Waiter) {
	s.mu.Lock()
	if !s.waits.turnq.Remove(w) && w.State() == park.Woken {
		s.releaseTurnLocked()
	}
	s.mu.Unlock()
}

func dropData(w *park.Waiter) { w.On.(*Stream).dropDataWaiter(w) }

func (s *Stream) dropDataWaiter(w *park.Waiter) {
	s.mu.Lock()
	if s.dataw == w {
		s.dataw = nil
	}
	s.releaseTurnLocked()
	s.mu.Unlock()
}

// wakeReaderLocked wakes the turn's holder when it waits for bytes.
func (s *Stream) wakeReaderLocked() {
	if s.dataw != nil {
		s.dataw.Wake()
		s.dataw = nil
	}
}

// resumeReading resumes the transport's reading, at once when the caller
// is on the loop, else from a callback. It checks again there: a
// DataReceived in between may have paused reading anew.
func (s *Stream) resumeReading(inline bool) {
	do := func() {
		s.mu.Lock()
		tr, ok := s.tr, !s.lost && !s.readPaused
		s.mu.Unlock()
		if ok && tr != nil {
			tr.ResumeReading()
		}
	}
	if inline {
		do()
		return
	}
	_, _ = s.l.CallSoon(do) // a closed loop has no transport left to resume
}

// Read returns up to n bytes as soon as at least one is received (Python:
// await reader.read(n)). At the end of the stream it returns nil and
// io.EOF; n <= 0 returns an empty slice at once. The slice is the
// caller's own.
func (s *Stream) Read(ctx context.Context, n int) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("Stream.Read")
	}
	if n <= 0 {
		return []byte{}, nil
	}
	var p []byte
	err := s.read(ctx, func() bool {
		var ok bool
		p, ok = s.buf.tryRead(n)
		return ok
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, io.EOF
	}
	return p, nil
}

// ReadInto reads into p as soon as at least one byte is received and
// returns how many it read, up to len(p): io.Reader's Read with a
// context, which allocates nothing (Read returns memory of its own each
// time). At the end of the stream it returns 0 and io.EOF; an empty p
// returns 0, nil at once. The bytes are copied into p in the caller's own
// step, after any wait: tasks of one loop may therefore share one buffer
// for a read and the writes that follow it, as long as none waits in
// between (examples/echo does, one buffer per loop). Python: no
// StreamReader counterpart; loop.sock_recv_into and
// BufferedProtocol.get_buffer are the nearest.
func (s *Stream) ReadInto(ctx context.Context, p []byte) (int, error) {
	if ctx == nil {
		return 0, nilCtx("Stream.ReadInto")
	}
	if len(p) == 0 {
		return 0, nil
	}
	return s.readInto(ctx, p)
}

// readInto is ReadInto of a non-empty p, for it and the net.Conn view.
func (s *Stream) readInto(ctx context.Context, p []byte) (int, error) {
	var n int
	var ok bool
	err := s.read(ctx, func() bool {
		n, ok = s.buf.tryReadInto(p)
		return ok
	})
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// tryReadInto is tryRead into p (not empty): it copies as many bytes as
// are buffered and fit, or reports the end of the stream with 0, ok.
func (b *recvBuf) tryReadInto(p []byte) (n int, ok bool) {
	u := b.unread()
	switch {
	case len(u) > 0:
		n = copy(p, u)
		b.consumed(n)
		return n, true
	case b.eof:
		return 0, true
	}
	return 0, false
}

// ReadExactly returns exactly n bytes (Python: await
// reader.readexactly(n)). When the stream ends before n, it returns the
// bytes that were left with a *IncompleteReadError holding them too
// (matching io.ErrUnexpectedEOF), or nil and io.EOF when none were left,
// as io.ReadFull does. n <= 0 returns an empty slice at once.
func (s *Stream) ReadExactly(ctx context.Context, n int) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("Stream.ReadExactly")
	}
	if n <= 0 {
		return []byte{}, nil
	}
	var p []byte
	var rerr error
	err := s.read(ctx, func() bool {
		var ok bool
		p, rerr, ok = s.buf.tryReadExactly(n)
		return ok
	})
	if err != nil {
		return nil, err
	}
	return incomplete(p, rerr)
}

// incomplete turns an *IncompleteReadError without any byte into io.EOF,
// and gives the partial bytes of one as the data too. err is the buffer's
// own, never wrapped: a type assertion, unlike errors.As, allocates
// nothing on the path of every read.
func incomplete(p []byte, err error) ([]byte, error) {
	if inc, ok := err.(*IncompleteReadError); ok {
		if len(inc.Partial) == 0 {
			return nil, io.EOF
		}
		return inc.Partial, err
	}
	return p, err
}

// ReadUntil returns the bytes up to and including the first of seps to
// occur (Python: await reader.readuntil(separator), a tuple of separators
// as in Python 3.13; when several end at different places the shortest
// result wins). At the end of the stream it returns what was left with a
// *IncompleteReadError holding it (io.EOF when nothing was left). When no
// separator starts within the stream's limit (WithLimit) it returns a
// *LimitOverrunError and the bytes stay buffered, for Read or ReadExactly
// to take. No separator, or an empty one, is an error.
func (s *Stream) ReadUntil(ctx context.Context, seps ...[]byte) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("Stream.ReadUntil")
	}
	if len(seps) == 0 {
		return nil, errNoSeparator
	}
	for _, sep := range seps {
		if len(sep) == 0 {
			return nil, errEmptySep
		}
	}
	var p []byte
	var rerr error
	scan := 0
	err := s.read(ctx, func() bool {
		var ok bool
		p, rerr, ok = s.buf.tryReadUntil(seps, &scan)
		return ok
	})
	if err != nil {
		return nil, err
	}
	return incomplete(p, rerr)
}

// ReadLine returns a line, its '\n' included (Python: await
// reader.readline()). The last line of a stream that does not end in
// '\n' comes without one and without error; after it, nil and io.EOF. A
// line whose '\n' is not within the stream's limit gives a
// *LimitOverrunError and is skipped whole: the next ReadLine returns the
// line after it (asyncio raises ValueError and drops only what it had
// buffered).
func (s *Stream) ReadLine(ctx context.Context) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("Stream.ReadLine")
	}
	var p []byte
	var rerr error
	scan := 0
	err := s.read(ctx, func() bool {
		var ok bool
		p, rerr, ok = s.buf.tryReadLine(&scan)
		return ok
	})
	switch {
	case err != nil:
		return nil, err
	case rerr != nil:
		return nil, rerr
	case len(p) == 0:
		return nil, io.EOF
	}
	return p, nil
}

// AtEOF reports whether the end of the stream has been received and every
// byte before it read (Python: reader.at_eof()). Safe from anywhere; it
// never waits.
func (s *Stream) AtEOF() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.eof && len(s.buf.unread()) == 0
}

// ---- Writing ----

// writeErrLocked is why a write cannot be accepted now, or nil.
func (s *Stream) writeErrLocked() error {
	switch {
	case s.closeReq:
		return errStreamClosed
	case s.eofReq:
		return errStreamEOF
	case s.rare != nil && s.rare.writeErr != nil:
		return s.rare.writeErr
	case s.lost:
		return s.lostErrLocked()
	}
	return nil
}

// lostErrLocked is what the writing calls fail with once the connection is
// lost: its error, or one matching net.ErrClosed (Python: ConnectionResetError
// "Connection lost").
func (s *Stream) lostErrLocked() error {
	if s.lostErr != nil {
		return s.lostErr
	}
	return errConnLost
}

// Write sends p (Python: writer.write(data)). It never waits: what the
// connection does not take at once is buffered, and Drain waits for the
// buffer to go down. p may be reused as soon as Write returns. After
// Close or WriteEOF, or once the connection is lost, it returns an error
// matching net.ErrClosed (the connection's error, for one lost with an
// error).
//
// From a task of the stream's loop p goes to the transport at once; from
// anywhere else (a goroutine, a task of another loop, a loop callback) it is
// copied and handed to the transport by a callback on the loop, after
// every byte written before; an error the transport gives it then is
// returned by the next Write or Drain.
func (s *Stream) Write(ctx context.Context, p []byte) error {
	if ctx == nil {
		return nilCtx("Stream.Write")
	}
	inline := s.onLoop(ctx)
	s.mu.Lock()
	if err := s.writeErrLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	if len(p) == 0 {
		s.mu.Unlock()
		return nil
	}
	if inline && s.tr != nil {
		tr := s.tr
		out := s.takeOutLocked()
		s.mu.Unlock()
		if len(out) > 0 {
			// Bytes written off the loop before p go first.
			err := tr.Write(out)
			s.doneOut(out, err)
			if err != nil {
				return err
			}
		}
		return tr.Write(p)
	}
	o := s.rareLocked()
	o.out = append(o.out, p...)
	s.queued += uint64(len(p))
	schedule := !s.flushScheduled && s.tr != nil
	s.flushScheduled = s.flushScheduled || schedule
	s.mu.Unlock()
	if schedule {
		return s.scheduleFlush()
	}
	return nil
}

// scheduleFlush makes the loop hand what waits in out to the transport.
func (s *Stream) scheduleFlush() error {
	if _, err := s.l.CallSoon(s.flush); err != nil {
		s.mu.Lock()
		s.flushScheduled = false
		s.mu.Unlock()
		return err
	}
	return nil
}

// takeOutLocked takes the bytes waiting in out, for the loop to write.
func (s *Stream) takeOutLocked() []byte {
	o := s.rare
	if o == nil || len(o.out) == 0 {
		return nil
	}
	out := o.out
	o.out, o.spare = o.spare[:0], nil
	return out
}

// doneOut records the result of writing out (taken by takeOutLocked),
// keeps its memory for the next batch, and lets drainers look again. The
// bytes count as flushed only now, once the transport has taken them and
// said whether its buffer went above the high watermark (PauseWriting,
// from inside Write): a drainer must not see them gone before that.
func (s *Stream) doneOut(out []byte, err error) {
	s.mu.Lock()
	s.flushed += uint64(len(out))
	if o := s.rare; o != nil && o.spare == nil {
		o.spare = out[:0]
	}
	if r := s.rare; err != nil && (r == nil || r.writeErr == nil) {
		s.rareLocked().writeErr = err
	}
	ws := s.detachDrainersLocked()
	s.mu.Unlock()
	park.WakeChain(ws)
}

// flush runs on the loop: it hands the bytes written off the loop to the
// transport, then carries out a WriteEOF or Close asked for off the loop.
func (s *Stream) flush() {
	s.mu.Lock()
	s.flushScheduled = false
	tr := s.tr
	if tr == nil {
		s.mu.Unlock()
		return // ConnectionMade flushes
	}
	out := s.takeOutLocked()
	lost := s.lost
	doEOF := s.eofReq && !s.eofDone && !lost
	doClose := s.closeReq && !s.closeDone && !lost
	s.eofDone = s.eofDone || doEOF
	s.closeDone = s.closeDone || doClose
	s.mu.Unlock()
	if len(out) > 0 {
		var err error
		if !lost {
			err = tr.Write(out)
		}
		s.doneOut(out, err)
	}
	if doEOF {
		if err := tr.WriteEOF(); err != nil {
			s.doneOut(nil, err)
		}
	}
	if doClose {
		_ = tr.Close() // ConnectionLost reports how it ends
	}
}

// Drain waits until the stream's buffers have gone down (Python: await
// writer.drain()): the bytes written before it, from anywhere, are in the
// transport, and the transport's buffer is below its high watermark. It
// returns at once when that is so already. Any number of tasks and
// goroutines may drain at once; each returns when the buffer goes down
// (cpython#74116 made asyncio allow it too). It returns an error matching
// net.ErrClosed after Close, or once the connection is lost (its error,
// for one lost with an error), and the error of a write handed to the
// transport off the loop.
func (s *Stream) Drain(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Stream.Drain")
	}
	if s.onLoop(ctx) {
		s.flush() // the bytes written off the loop need not wait for the callback
	}
	s.mu.Lock()
	target := s.queued
	for {
		var err error
		switch {
		case s.closeReq:
			err = errStreamClosed
		case s.rare != nil && s.rare.writeErr != nil:
			err = s.rare.writeErr
		case s.lost:
			err = s.lostErrLocked()
		case !s.writePaused && s.flushed >= target:
			s.mu.Unlock()
			return nil
		}
		if err != nil {
			s.mu.Unlock()
			return err
		}
		w := park.NewWaiter(ctx).Labeled(labelStreamDrain, s)
		s.waitsLocked().drainers.PushBack(w)
		s.mu.Unlock()
		_, err = park.Wait(ctx, w, s.dropDrainer)
		s.mu.Lock()
		s.waits.drainers.Remove(w)
		if err != nil {
			// Every drainer is woken to look again: there is no grant to
			// pass on.
			s.mu.Unlock()
			return err
		}
	}
}

func (s *Stream) dropDrainer(w *park.Waiter) {
	s.mu.Lock()
	s.waits.drainers.Remove(w)
	s.mu.Unlock()
}

// WriteEOF closes the stream's writing side once the bytes written before
// it are sent (a half-close; Python: writer.write_eof()); reading goes on.
// It never waits. Write fails after it. A transport that cannot half-close
// (CanWriteEOF false: TLS) makes the next Write or Drain return its error.
func (s *Stream) WriteEOF() error { return s.endWriting(false) }

// Close closes the connection once the bytes written before it are sent
// (Python: writer.close()); reading stops. It never waits: WaitClosed
// waits for the connection to be closed. Write and Drain fail after it;
// reads give what was received, then io.EOF. Closing again does nothing.
// Safe from anywhere: the transport is closed by a callback on the loop,
// after the writes made before Close.
func (s *Stream) Close() error { return s.endWriting(true) }

func (s *Stream) endWriting(close bool) error {
	s.mu.Lock()
	if s.closeReq || (!close && s.eofReq) {
		s.mu.Unlock()
		return nil
	}
	if close {
		s.closeReq = true
	} else {
		s.eofReq = true
	}
	ws := s.detachDrainersLocked() // a Drain after Close fails: let waiting ones see it
	schedule := !s.flushScheduled && s.tr != nil && !s.lost
	s.flushScheduled = s.flushScheduled || schedule
	s.mu.Unlock()
	park.WakeChain(ws)
	if schedule {
		return s.scheduleFlush()
	}
	return nil
}

// WaitClosed waits until the connection is closed, by either end, and its
// transport has said so (ConnectionLost), and returns the error it was
// lost with: nil for a close in order (Python: await writer.wait_closed(),
// which since cpython#80982 really waits). It does not close the stream:
// call Close first for that.
func (s *Stream) WaitClosed(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Stream.WaitClosed")
	}
	s.mu.Lock()
	if s.lost {
		defer s.mu.Unlock()
		return s.lostErr
	}
	w := park.NewWaiter(ctx).Labeled(labelStreamClosed, s)
	s.waitsLocked().closers.PushBack(w)
	s.mu.Unlock()
	_, err := park.Wait(ctx, w, s.dropCloser)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.waits.closers.Remove(w)
		return err
	}
	return s.lostErr
}

func (s *Stream) dropCloser(w *park.Waiter) {
	s.mu.Lock()
	s.waits.closers.Remove(w)
	s.mu.Unlock()
}

// LocalAddr returns the connection's local address, or nil before it is
// connected (Python: get_extra_info("sockname")). Safe from anywhere: a
// TCP transport's addresses are fixed when it is made, so they are read
// from it off the loop too; others are kept by the stream (see fixedAddrs).
func (s *Stream) LocalAddr() net.Addr { return s.addr(false) }

// RemoteAddr returns the connection's remote address, or nil before it is
// connected (Python: get_extra_info("peername")). Safe from anywhere, as
// LocalAddr.
func (s *Stream) RemoteAddr() net.Addr { return s.addr(true) }

func (s *Stream) addr(remote bool) net.Addr {
	s.mu.Lock()
	tr, r := s.tr, s.rare
	s.mu.Unlock()
	switch {
	case r != nil && r.addrs:
		if remote {
			return r.raddr
		}
		return r.laddr
	case tr == nil:
		return nil
	case remote:
		return tr.RemoteAddr()
	}
	return tr.LocalAddr()
}

// keepAddrsLocked keeps t's addresses in the stream, for LocalAddr and
// RemoteAddr, unless t can give them off the loop. Loop goroutine.
func (s *Stream) keepAddrsLocked(t Transport) {
	if fixedAddrs(t) {
		return
	}
	r := s.rareLocked()
	r.addrs, r.laddr, r.raddr = true, t.LocalAddr(), t.RemoteAddr()
}

// fixedAddrs reports whether t's addresses may be read from it off the
// loop: a TCP transport over IP keeps them by value from its start (a TLS
// transport's are its raw transport's); a Unix one's are the loop's
// (l.otherAddrs, gone once it is closed).
func fixedAddrs(t Transport) bool {
	if tt, ok := t.(*tlsTransport); ok {
		if tt.raw == nil {
			return false
		}
		t = tt.raw
	}
	tt, ok := t.(*tcpTransport)
	return ok && tt.laddr.fam != 0 && tt.raddr.fam != 0
}

// Transport returns the stream's transport, or nil before it is connected
// and during StartTLS's handshake (Python: writer.transport); after
// StartTLS it is the TLS transport. Its methods are for the loop's goroutine
// only (see Transport); pausing its reading behind the stream's back
// confuses the stream's own flow control.
func (s *Stream) Transport() Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tr
}

// ---- The protocol adapter ----

// streamProto is the Protocol and FlowController a stream gives its
// transport. Its methods run on the loop's goroutine, and call the
// transport only with mu released: a transport may call the protocol back
// from inside its methods (PauseWriting from Write).
type streamProto Stream

var (
	_ Protocol       = (*streamProto)(nil)
	_ FlowController = (*streamProto)(nil)
)

func (p *streamProto) ConnectionMade(t Transport) {
	s := (*Stream)(p)
	s.mu.Lock()
	s.tr = t
	s.keepAddrsLocked(t)
	s.mu.Unlock()
	s.flush() // writes, WriteEOF and Close made before the connection
}

func (p *streamProto) DataReceived(b []byte) {
	s := (*Stream)(p)
	s.mu.Lock()
	s.buf.feed(b)
	s.wakeReaderLocked()
	// Stop reading above twice the limit until a reader takes some
	// (asyncio's StreamReader.feed_data).
	pause := !s.readPaused && len(s.buf.unread()) > 2*s.buf.limit && s.tr != nil
	s.readPaused = s.readPaused || pause
	tr := s.tr
	s.mu.Unlock()
	if pause {
		tr.PauseReading()
	}
}

func (p *streamProto) EOFReceived() bool {
	s := (*Stream)(p)
	s.mu.Lock()
	s.buf.feedEOF()
	s.wakeReaderLocked()
	tr := s.tr
	s.mu.Unlock()
	// Keep the writing side open, as asyncio's StreamReaderProtocol does
	// but over TLS, which cannot half-close: the program closes.
	return tr != nil && tr.CanWriteEOF()
}

func (p *streamProto) ConnectionLost(err error) {
	s := (*Stream)(p)
	s.mu.Lock()
	s.lost, s.lostErr = true, err
	if err == nil {
		s.buf.feedEOF()
	}
	s.wakeReaderLocked()
	if o := s.rare; o != nil {
		o.out, o.spare = nil, nil
	}
	ws := s.detachDrainersLocked()
	var cs *park.Waiter
	if s.waits != nil {
		cs = s.waits.closers.Detach()
	}
	s.mu.Unlock()
	park.WakeChain(ws)
	park.WakeChain(cs)
}

func (p *streamProto) PauseWriting() {
	s := (*Stream)(p)
	s.mu.Lock()
	s.writePaused = true
	s.mu.Unlock()
}

func (p *streamProto) ResumeWriting() {
	s := (*Stream)(p)
	s.mu.Lock()
	s.writePaused = false
	ws := s.detachDrainersLocked()
	s.mu.Unlock()
	park.WakeChain(ws)
}

var (
	labelStreamTurn   = park.NewLabel("Stream.Read (another reader's turn)")
	labelStreamRead   = park.NewLabel("Stream.Read")
	labelStreamDrain  = park.NewLabel("Stream.Drain")
	labelStreamClosed = park.NewLabel("Stream.WaitClosed")
)
