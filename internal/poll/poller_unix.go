//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package poll

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Sockaddr is a socket address as golang.org/x/sys/unix gives and takes it
// (*unix.SockaddrInet4, *unix.SockaddrInet6, *unix.SockaddrUnix, ...).
type Sockaddr = unix.Sockaddr

const (
	// maxEvents is how many readiness events one wait collects; more wait
	// for the next Poll, which the kernel hands out fairly.
	maxEvents = 128
	// budget bounds the reads (and the accepts) one FD does per Poll, so
	// that a peer that never stops sending cannot starve the other fds and
	// the loop's timers: libuv reads at most 32 times per event for the
	// same reason. An FD whose budget ran out with data left is serviced
	// again at the next Poll, without waiting for a new edge.
	budget = 16
	// iovMax is the most buffers one writev takes (IOV_MAX on Linux and
	// the BSDs); a Write with more is written in several calls.
	iovMax = 1024
)

// Event bits, the backends' readiness reports in one form.
const (
	evRead  uint8 = 1 << iota // readable, or a read would report EOF or an error
	evWrite                   // writable, or a write would report an error
	evRHup                    // the peer hung up or an error is pending: read to EAGAIN
	evWHup                    // an error is pending: write to EAGAIN
	evWake                    // the wake-up fd
)

// event is one readiness report of a backend's wait.
type event struct {
	fd   int32
	gen  uint32 // the registration's generation; 0 where the backend cannot carry it
	bits uint8
}

// slot is the poller's state for one fd number: an FD handle or raw
// readiness callbacks, never both.
type slot struct {
	f *FD
	w *watch
}

// watch is the raw, level-triggered readiness of an fd the poller does not
// own (asyncio's add_reader and add_writer).
type watch struct {
	gen            uint32
	reader, writer func()
}

func (w *watch) bits() uint8 {
	var b uint8
	if w.reader != nil {
		b |= evRead
	}
	if w.writer != nil {
		b |= evWrite
	}
	return b
}

// rawCall is a raw callback due in this Poll.
type rawCall struct {
	fd   int32
	gen  uint32
	bits uint8
}

// Poller waits for readiness on many fds and runs their operations'
// callbacks: an epoll instance on Linux, a kqueue on macOS and the BSDs.
// Python's counterpart is the selector inside asyncio's
// BaseSelectorEventLoop (libuv's uv__io_poll in uvloop).
//
// Wake may be called from any goroutine. Everything else — Poll, Close,
// Register, Socket, AddReader and friends, and every method of the FDs it
// returns — must be called from one goroutine at a time, the polling
// goroutine (a loop's own), and callbacks run only there, inside Poll.
type Poller struct {
	sys sysPoller

	wakeMu     sync.Mutex  // orders Wake's write with Close's closing of the fd
	wakeClosed bool        // guarded by wakeMu
	woken      atomic.Bool // a wake-up is written and not yet consumed
	wakeWrites atomic.Int64

	slots []slot // by fd number
	gen   uint32 // last registration generation handed out
	evs   []event
	rawq  []rawCall
	runq  []*FD    // FDs with work for the next service pass
	iov   [][]byte // writev's scratch, shared: one write at a time runs
	cur   *FD      // the FD being serviced (re-queued if a callback panics)
	woke  bool     // the last Poll consumed a Wake
	acc   acceptScratch

	polling bool // inside Poll or Close: callbacks may run
	inPass  bool // a service pass is under way (cleared unless a callback panicked)
	closed  bool
}

// New returns a Poller, holding two fds (an epoll or kqueue and its wake-up
// fd) until Close.
func New() (*Poller, error) {
	p := &Poller{evs: make([]event, 0, maxEvents)}
	if err := p.sys.open(); err != nil {
		return nil, err
	}
	return p, nil
}

// Wake makes the current or next Poll return without waiting for its
// timeout. It may be called from any goroutine, at any time, any number of
// times: Wakes made before one Poll consumes them cost a single write to
// the wake-up fd (the first), and a Wake after Close does nothing. It
// never blocks. Python: the self-pipe write of call_soon_threadsafe.
func (p *Poller) Wake() {
	// The flag makes every Wake but the first of a round free; Poll
	// consumes the fd's counter before clearing it, so a Wake that races
	// with a Poll ending either is seen by that Poll's caller (its work was
	// published before the flag was tested) or writes again.
	if p.woken.Load() || !p.woken.CompareAndSwap(false, true) {
		return
	}
	p.wakeMu.Lock()
	if !p.wakeClosed {
		p.wakeWrites.Add(1)
		p.sys.wake()
	}
	p.wakeMu.Unlock()
}

// Poll waits for readiness, a Wake or the timeout, whichever comes first,
// and runs the callbacks that are due, on the calling goroutine; it
// returns how many it ran. A negative timeout waits without limit, 0 does
// not wait; a positive one is rounded up to the backend's granularity
// (whole milliseconds for epoll), so Poll never returns early for want of
// events. It returns early only when it ran a callback or was woken; a
// stale or spurious report, or a signal interrupting the wait, makes it
// wait again for what is left of the timeout. When an FD has work that
// needs no waiting (a completion to deliver, data known to be readable),
// the wait does not block.
//
// Each callback runs once Poll's state is consistent: a callback may call
// any method of the poller and its FDs except Poll and Close (refused with
// an error). A panic in a callback propagates out of Poll; the poller stays
// usable, and the next Poll carries on with the FDs that had not been
// serviced. Poll on a closed poller returns an error matching
// net.ErrClosed.
func (p *Poller) Poll(timeout time.Duration) (int, error) {
	if p.polling {
		return 0, errReentrant
	}
	if p.closed {
		return 0, errPollerClosed
	}
	p.polling = true
	p.woke = false
	defer p.endPoll()
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	ran := 0
	for {
		wait := timeout
		if len(p.runq) > 0 {
			wait = 0
		}
		evs, err := p.sys.wait(wait, p.evs[:0])
		if err != nil {
			return ran, err
		}
		woken := p.scan(evs)
		p.woke = p.woke || woken
		ran += p.dispatch()
		if ran > 0 || woken || timeout == 0 {
			return ran, nil
		}
		if timeout > 0 {
			if timeout = time.Until(deadline); timeout <= 0 {
				return ran, nil
			}
		}
	}
}

// Woken reports whether the last Poll consumed a Wake: an idler that must
// tell a wake-up from a timeout (a virtual clock that jumps on timeouts
// only) asks it after Poll returns. Polling goroutine only.
func (p *Poller) Woken() bool { return p.woke }

// endPoll ends a Poll, also one a callback's panic unwinds: the FD being
// serviced is queued again, since edge-triggered readiness it had not used
// up would otherwise never be reported again.
func (p *Poller) endPoll() {
	p.polling = false
	if !p.inPass {
		return
	}
	p.inPass = false
	if f := p.cur; f != nil {
		p.cur = nil
		if !f.queued && (f.closed || f.busy()) {
			f.queued = true
			p.runq = append(p.runq, f)
		}
	}
	q := p.runq[:0]
	for _, f := range p.runq {
		if f != nil {
			q = append(q, f)
		}
	}
	clear(p.runq[len(q):])
	p.runq = q
}

// scan records the readiness a wait reported; it runs no callback, so a
// panic later cannot lose an edge. It reports whether a Wake was consumed.
func (p *Poller) scan(evs []event) (woken bool) {
	p.rawq = p.rawq[:0]
	for _, e := range evs {
		if e.bits&evWake != 0 {
			p.sys.drain()
			p.woken.Store(false) // after the drain: see Wake
			woken = true
			continue
		}
		if int(e.fd) >= len(p.slots) {
			continue
		}
		s := &p.slots[e.fd]
		if f := s.f; f != nil && (e.gen == 0 || e.gen == f.gen) {
			f.ready(e.bits)
		} else if w := s.w; w != nil && (e.gen == 0 || e.gen == w.gen) {
			p.rawq = append(p.rawq, rawCall{fd: e.fd, gen: w.gen, bits: e.bits})
		}
	}
	return woken
}

// dispatch runs the raw callbacks, then services the FDs queued before it
// began; FDs queued by its callbacks wait for the next Poll, so a callback
// that keeps re-arming cannot hold Poll forever.
func (p *Poller) dispatch() (ran int) {
	for _, c := range p.rawq {
		if c.bits&evRead != 0 {
			if w := p.watchOf(c); w != nil && w.reader != nil {
				ran++
				w.reader()
			}
		}
		if c.bits&evWrite != 0 {
			if w := p.watchOf(c); w != nil && w.writer != nil {
				ran++
				w.writer()
			}
		}
	}
	p.rawq = p.rawq[:0]
	p.inPass = true
	n := len(p.runq)
	for i := 0; i < n; i++ {
		f := p.runq[i]
		p.runq[i] = nil
		f.queued = false
		p.cur = f
		ran += f.service()
	}
	p.cur = nil
	p.inPass = false
	rest := copy(p.runq, p.runq[n:])
	clear(p.runq[rest:])
	p.runq = p.runq[:rest]
	return ran
}

// watchOf returns the raw watch a call is for, if it is still registered.
func (p *Poller) watchOf(c rawCall) *watch {
	w := p.slots[c.fd].w
	if w == nil || (c.gen != 0 && w.gen != c.gen) {
		return nil
	}
	return w
}

func (p *Poller) enqueue(f *FD) {
	if !f.queued {
		f.queued = true
		p.runq = append(p.runq, f)
	}
}

// Close closes every FD still registered, completes their pending
// operations with an error matching net.ErrClosed (running those callbacks
// before it returns), forgets the raw readiness callbacks (their fds are
// not the poller's and stay open) and releases the poller's own fds. It
// must be called from the polling goroutine, not from a callback; closing
// a closed poller does nothing.
func (p *Poller) Close() (err error) {
	if p.polling {
		return errReentrant
	}
	if p.closed {
		return nil
	}
	p.closed = true
	for i := range p.slots {
		if f := p.slots[i].f; f != nil {
			f.Close()
		}
		p.slots[i].w = nil
	}
	p.polling = true
	defer func() {
		// Also when a callback panics: the poller's fds are released
		// either way, and the panic goes on.
		p.polling = false
		p.wakeMu.Lock()
		p.wakeClosed = true
		err = p.sys.close()
		p.wakeMu.Unlock()
	}()
	for len(p.runq) > 0 {
		p.dispatch()
	}
	return nil
}

// nextGen returns a registration generation: events carry it, so that a
// report for a closed fd whose number was reused reaches nobody.
func (p *Poller) nextGen() uint32 {
	p.gen++
	if p.gen == 0 {
		p.gen = 1 // 0 means "not carried"
	}
	return p.gen
}

// slotFor returns fd's slot, growing the table.
func (p *Poller) slotFor(fd int) *slot {
	if fd >= len(p.slots) {
		p.slots = append(p.slots, make([]slot, fd+1-len(p.slots))...)
	}
	return &p.slots[fd]
}

func (p *Poller) checkFD(fd int) error {
	if p.closed {
		return errPollerClosed
	}
	if fd < 0 {
		return fmt.Errorf("poll: fd %d: %w", fd, unix.EBADF)
	}
	return nil
}

// Register adopts fd: it makes it non-blocking (fd must be open) and
// registers it with the poller; from then on the FD owns it and its Close
// closes it. On error the caller keeps fd (it may have been made
// non-blocking). An fd already registered, as an FD or with AddReader or
// AddWriter, is refused with an error naming it and matching
// ErrRegistered. Polling goroutine only.
func (p *Poller) Register(fd int) (*FD, error) {
	if err := p.checkFD(fd); err != nil {
		return nil, err
	}
	return p.register(fd, true, isStream(fd))
}

// isStream tells whether fd is a stream socket or a pipe, whose short
// reads and writes prove it drained or full.
func isStream(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return true
	case unix.S_IFSOCK:
		typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
		return err == nil && typ == unix.SOCK_STREAM
	}
	return false
}

// Socket creates a socket (unix.Socket's arguments) that is non-blocking
// and close-on-exec from its creation, and registers it. The FD owns it.
// Polling goroutine only.
func (p *Poller) Socket(domain, typ, proto int) (*FD, error) {
	if p.closed {
		return nil, errPollerClosed
	}
	fd, err := sysSocket(domain, typ, proto)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	f, err := p.register(fd, false, typ&0xf == unix.SOCK_STREAM) // 0xf: the type without its flags
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return f, nil
}

func (p *Poller) register(fd int, adopt, stream bool) (*FD, error) {
	if err := p.checkFD(fd); err != nil {
		return nil, err
	}
	s := p.slotFor(fd)
	if s.f != nil {
		return nil, errRegistered(fd, "an FD")
	}
	if s.w != nil {
		return nil, errRegistered(fd, "a reader or writer")
	}
	if adopt {
		if err := unix.SetNonblock(fd, true); err != nil {
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	// Optimistic readiness, as Go's netpoller tries the syscall first: a
	// new fd may well be ready (an accepted connection often has data), and
	// if it is not, the first EAGAIN says so; the edges from here on are
	// all reported, since the fd is registered before the first try.
	f := &FD{p: p, fd: fd, gen: p.nextGen(), rready: true, wready: true, stream: stream}
	if err := p.sys.addOwned(fd, f.gen); err != nil {
		return nil, err
	}
	s.f = f
	return f, nil
}

// AddReader makes fn run while fd is readable, at every Poll, until
// RemoveReader: level-triggered, as asyncio's loop.add_reader (fn should
// read, or the next Poll runs it again at once). A second AddReader for fd
// replaces fn. The fd stays the caller's: it is not made non-blocking, and
// it must be removed before it is closed (a closed fd is dropped by the
// kernel; its number may come back for another). An fd registered as an FD
// is refused with an error matching ErrRegistered; one the backend cannot
// poll (a regular file on Linux) is refused with the backend's error.
// Polling goroutine only.
func (p *Poller) AddReader(fd int, fn func()) error { return p.setWatch(fd, fn, evRead) }

// AddWriter is AddReader for writability (asyncio's loop.add_writer).
func (p *Poller) AddWriter(fd int, fn func()) error { return p.setWatch(fd, fn, evWrite) }

// RemoveReader stops the callback AddReader registered for fd and reports
// whether there was one (asyncio's loop.remove_reader). It may be called
// from a callback, that one included. Polling goroutine only.
func (p *Poller) RemoveReader(fd int) bool { return p.unsetWatch(fd, evRead) }

// RemoveWriter is RemoveReader for AddWriter's callback.
func (p *Poller) RemoveWriter(fd int) bool { return p.unsetWatch(fd, evWrite) }

func (p *Poller) setWatch(fd int, fn func(), bit uint8) error {
	if err := p.checkFD(fd); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("poll: AddReader or AddWriter for fd %d with a nil function", fd)
	}
	s := p.slotFor(fd)
	if s.f != nil {
		return errRegistered(fd, "an FD")
	}
	w := s.w
	if w == nil {
		w = &watch{gen: p.nextGen()}
	}
	was := w.bits()
	old := *w
	if bit == evRead {
		w.reader = fn
	} else {
		w.writer = fn
	}
	if was != w.bits() {
		if err := p.sys.setRaw(fd, w.gen, was, w.bits()); err != nil {
			*w = old
			return err
		}
	}
	s.w = w
	return nil
}

func (p *Poller) unsetWatch(fd int, bit uint8) bool {
	if fd < 0 || fd >= len(p.slots) || p.slots[fd].w == nil {
		return false
	}
	w := p.slots[fd].w
	was := w.bits()
	if was&bit == 0 {
		return false
	}
	if bit == evRead {
		w.reader = nil
	} else {
		w.writer = nil
	}
	// An error means the fd is gone already (closed by its owner): the
	// kernel dropped it, which is what we asked for.
	_ = p.sys.setRaw(fd, w.gen, was, w.bits())
	if w.bits() == 0 {
		p.slots[fd].w = nil
	}
	return true
}

// Connect states.
const (
	connNone    uint8 = iota
	connWaiting       // connect(2) is in progress: wait for writability
	connDone          // the result is in cerr, to deliver
)

// writeOp is one Write: its buffers, its progress and, once finished, its
// result.
type writeOp struct {
	bufs [][]byte
	done Writer
	n    int // bytes written
	bi   int // bufs[bi][off:] is the first byte not written
	off  int
	err  error
}

// FD is an fd owned by a Poller, with completion-style operations: each
// operation is started by a call that never blocks and reports by a
// callback run later by Poll (libuv's uv_stream_t, the shape io_uring
// needs). The readiness backends wait for readiness, then run the
// non-blocking syscall; they keep edge-triggered readiness per direction
// so that an operation started while the fd is known to be ready runs at
// the next Poll without waiting for a new edge.
//
// Every method must be called from the polling goroutine (a callback is
// fine). Operations of each kind complete in the order they were started.
// After Close every pending operation completes once with an error
// matching net.ErrClosed, and new ones are refused with it.
type FD struct {
	p   *Poller
	fd  int
	gen uint32

	closed bool
	queued bool  // in p.runq
	cstate uint8 // the connect's state (hot: every Write and service reads it)

	// Edge-triggered readiness: set by an event, cleared by EAGAIN or, on
	// a stream, by a short transfer (a stream socket or pipe that returned
	// less than asked has been drained, and the next arrival is a new
	// edge; a datagram socket or a terminal returns one message or line
	// per read, so only EAGAIN tells there). rhup and whup say the last
	// event also reported a hang-up or an error, which may not come again:
	// then only EAGAIN clears readiness.
	rready, wready bool
	rhup, whup     bool
	stream         bool

	reading bool
	r       Reader
	dg      *dgram // datagram receives and sends (dgram_unix.go); nil until the first

	wq    []writeOp // writes; [whead, wcur) finished, [wcur, len) to write
	whead int32     // int32s, which keep an FD (every idle connection's) at 112 bytes
	wcur  int32
	werr  error // a write failed: every later write fails with it

	rare *rareOps // accepts and the connect; nil until the first
}

// rareOps is the state of the operations a connection's FD has at most
// once (a connect) or never (accepts, which only listening sockets have):
// kept out of FD, which every idle connection holds, and made by the
// first Accept or Connect.
type rareOps struct {
	acceptq []func(c *FD, sa Sockaddr, err error)
	ahead   int

	cdone func(err error)
	cerr  error
}

// rareOf returns f's rareOps, making it.
func (f *FD) rareOf() *rareOps {
	if f.rare == nil {
		f.rare = &rareOps{}
	}
	return f.rare
}

// accepting reports whether accepts are pending.
func (r *rareOps) accepting() bool { return r != nil && r.ahead < len(r.acceptq) }

// Fd returns the fd number, for socket options, bind, listen and
// getsockname, or -1 after Close. The fd must not be closed or made
// blocking behind the FD's back, and must not be read or written directly
// while an operation is pending.
func (f *FD) Fd() int {
	if f.closed {
		return -1
	}
	return f.fd
}

// busy reports whether the FD has an operation to run or deliver.
func (f *FD) busy() bool {
	return f.reading || int(f.whead) < len(f.wq) || f.rare.accepting() || f.cstate != connNone || f.dg.busy()
}

// ready records a readiness event and queues the FD if it has work.
func (f *FD) ready(bits uint8) {
	if bits&evRead != 0 {
		f.rready = true
	}
	if bits&evWrite != 0 {
		f.wready = true
	}
	if bits&evRHup != 0 {
		f.rhup = true
	}
	if bits&evWHup != 0 {
		f.whup = true
	}
	if f.busy() {
		f.p.enqueue(f)
	}
}

// StartRead starts reading the fd as a stream: whenever data arrives,
// r.ReadBuffer (alloc, below) is called for a buffer, the data is read
// into it, and r.ReadDone(buf, n, nil) (done) reports it (asyncio's
// data_received or BufferedProtocol's get_buffer and buffer_updated;
// libuv's uv_read_start). Reading goes on until StopRead, Close, end of
// stream or an error: end of stream is done(buf, 0, io.EOF), an error (a
// peer's reset: syscall.ECONNRESET) is done(buf, 0, err), and reading then
// stops; StartRead again reads on (a second EOF at once, on a socket).
// Close reports done(buf, 0, err) with err matching net.ErrClosed, buf
// being the buffer lent at the time or nil.
//
// StartRead while reading replaces r for the reads that follow (asyncio's
// set_protocol). It returns an error, and nothing is called, on a closed
// FD or with a nil r. It never reads itself: data already known to be
// there is read at the next Poll.
//
// Buffer ownership: a buffer returned by alloc is lent to the poller from
// alloc's return until done is called with it, or until StopRead,
// StartRead or Close returns if done was not. The caller must not read,
// write or reuse it while it is lent, and the poller does not touch it
// afterwards. The readiness backends call alloc once the fd is readable,
// or may be (a new FD is tried at once, as Go's netpoller does), and give
// the buffer back unused, with no call, when the read finds nothing: the
// next read calls alloc again, as asyncio's get_buffer is called for each
// read attempt. A completion backend lends it to the kernel when it
// submits the read, and its StopRead and Close cancel that read and wait
// for the cancellation before they return (a receive that completed
// meanwhile is delivered by the next StartRead's done first), so the rule
// holds for both. alloc must return a non-empty buffer; an empty one stops
// reading with an error.
func (f *FD) StartRead(r Reader) error {
	if f.closed {
		return errClosed
	}
	if r == nil {
		return fmt.Errorf("poll: StartRead on fd %d with a nil Reader", f.fd)
	}
	f.r, f.reading = r, true
	if f.rready {
		f.p.enqueue(f)
	}
	return nil
}

// StopRead stops reading: done is not called again until StartRead (Python:
// transport.pause_reading). Data that arrives meanwhile stays in the
// kernel's buffer, so nothing is lost; a buffer alloc lent and done did
// not report is the caller's again when StopRead returns. Stopping an FD
// that is not reading does nothing.
func (f *FD) StopRead() {
	f.reading = false
	f.r = nil
}

// Write writes every byte of bufs, in order, with writev, then calls
// done.WriteDone(n, nil) with n their total length (libuv's uv_write). A
// partial write continues when the fd is writable again; on an error,
// WriteDone(n, err) reports the bytes written before it, and every later
// Write fails with the same error (a broken pipe or a reset does not
// heal). done may be nil.
//
// Writes complete in the order they were made, and a Write made while
// others are unfinished waits behind them. When nothing is queued and the
// fd is writable, Write makes the syscall at once, so the bytes leave
// before it returns, as asyncio's transport.write does; done still runs
// from a later Poll, never from inside Write. Write returns an error, and
// done is never called, on a closed FD.
//
// Buffer ownership: bufs and the bytes they hold are lent to the poller
// until done runs (or until Close's completion for this write runs); the
// caller must not modify either, and the poller does not modify them.
func (f *FD) Write(bufs [][]byte, done Writer) error {
	if f.closed {
		return errClosed
	}
	f.wq = append(f.wq, writeOp{bufs: bufs, done: done})
	if int(f.wcur) == len(f.wq)-1 && f.cstate != connWaiting {
		f.flush()
	}
	if f.whead < f.wcur {
		f.p.enqueue(f)
	}
	return nil
}

// WriteProgress returns how many bytes of the first unfinished Write have
// been written so far, 0 when none is unfinished. A caller that sees it
// change between two looks knows that bytes are leaving although no done
// has run, as those of a large Write do while a slow peer drains it (an
// idle timeout must not take that for silence). Polling goroutine only.
func (f *FD) WriteProgress() int {
	if int(f.wcur) < len(f.wq) {
		return f.wq[f.wcur].n
	}
	return 0
}

// flush writes queued writes while the fd takes them, marking those it
// finishes.
func (f *FD) flush() {
	for int(f.wcur) < len(f.wq) {
		op := &f.wq[f.wcur]
		if f.werr != nil {
			op.err = f.werr
			f.wcur++
			continue
		}
		for op.bi < len(op.bufs) && op.off == len(op.bufs[op.bi]) {
			op.bi++
			op.off = 0
		}
		if op.bi == len(op.bufs) {
			f.wcur++
			continue
		}
		if !f.wready {
			return
		}
		want, n, err := f.writeOnce(op)
		switch {
		case err == unix.EAGAIN:
			f.wready, f.whup = false, false
			return
		case err == unix.EINTR:
			continue
		case err != nil:
			f.werr = os.NewSyscallError("write", err)
			continue
		}
		op.n += n
		op.advance(n)
		if n < want && f.stream && !f.whup {
			// A stream fd that took less than offered is full; the space
			// it frees later is a new edge.
			f.wready = false
		}
	}
}

// advance moves op's position n bytes on.
func (op *writeOp) advance(n int) {
	for n > 0 {
		m := min(n, len(op.bufs[op.bi])-op.off)
		op.off += m
		n -= m
		if op.off == len(op.bufs[op.bi]) {
			op.bi++
			op.off = 0
		}
	}
}

// writeOnce makes one write or writev of op's remaining bytes; it returns
// how many it asked for and how many were written.
func (f *FD) writeOnce(op *writeOp) (want, n int, err error) {
	rest := op.bufs[op.bi:]
	if len(rest) == 1 {
		b := rest[0][op.off:]
		n, err = unix.Write(f.fd, b)
		return len(b), n, err
	}
	iov := append(f.p.iov[:0], rest[0][op.off:])
	for _, b := range rest[1:] {
		if len(iov) == iovMax {
			break
		}
		iov = append(iov, b)
	}
	for _, b := range iov {
		want += len(b)
	}
	n, err = writev(f.fd, iov)
	clear(iov) // the scratch must not keep the caller's buffers alive
	f.p.iov = iov[:0]
	return want, n, err
}

// Accept accepts one connection on a listening socket and calls done
// with it, registered with the same poller, non-blocking and
// close-on-exec, and the peer's address (libuv's uv_accept after a
// connection callback; an io_uring accept). Accepts complete in order,
// one connection each; call Accept again, from done if you like, for
// the next. A failed accept (for example EMFILE) is done(nil, nil,
// err); an aborted connection is skipped. The peer's address may be the
// poller's own, rewritten by the next accept (so that accepting
// allocates nothing): done must copy what it keeps of it. Close
// completes pending accepts with an error matching net.ErrClosed. It
// returns an error, and done is never called, on a closed FD or with a
// nil done.
func (f *FD) Accept(done func(c *FD, sa Sockaddr, err error)) error {
	if f.closed {
		return errClosed
	}
	if done == nil {
		return fmt.Errorf("poll: Accept on fd %d with a nil function", f.fd)
	}
	r := f.rareOf()
	r.acceptq = append(r.acceptq, done)
	if f.rready {
		f.p.enqueue(f)
	}
	return nil
}

// Connect starts connecting the socket to sa and calls done with the
// result: nil, or an error such as one matching syscall.ECONNREFUSED
// (libuv's uv_tcp_connect). The connect(2) call is made at once; done runs
// from a later Poll, even when it succeeded at once. Writes made while it
// is in progress wait for it. It returns an error, and done is never
// called, on a closed FD, with a nil done, or while another Connect is in
// progress.
func (f *FD) Connect(sa Sockaddr, done func(err error)) error {
	if f.closed {
		return errClosed
	}
	if done == nil {
		return fmt.Errorf("poll: Connect on fd %d with a nil function", f.fd)
	}
	if f.cstate != connNone {
		return fmt.Errorf("poll: Connect on fd %d: %w", f.fd, unix.EALREADY)
	}
	r := f.rareOf()
	r.cdone = done
	switch err := unix.Connect(f.fd, sa); err {
	case unix.EINPROGRESS, unix.EINTR:
		// The connection goes on in the kernel; a non-blocking connect
		// interrupted by a signal does too. Writability, cleared here so
		// that an old report cannot pass for it, tells when it is over.
		f.cstate = connWaiting
		f.wready = false
	case nil:
		f.cstate, r.cerr = connDone, nil
		f.p.enqueue(f)
	default:
		f.cstate, r.cerr = connDone, os.NewSyscallError("connect", err)
		f.p.enqueue(f)
	}
	return nil
}

// checkConnect learns whether a connect in progress is over, once the fd
// reported writability.
func (f *FD) checkConnect() {
	v, err := unix.GetsockoptInt(f.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		f.cstate, f.rare.cerr = connDone, os.NewSyscallError("getsockopt", err)
		return
	}
	switch e := unix.Errno(v); e {
	case 0, unix.EISCONN:
		// Writability can be reported before the connection is made (a
		// stale report, or a fresh socket's): only a peer proves it, as in
		// Go's own connect.
		if _, err := unix.Getpeername(f.fd); err != nil {
			f.wready = false
			return
		}
		f.cstate, f.rare.cerr = connDone, nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		f.wready = false
	default:
		f.cstate, f.rare.cerr = connDone, os.NewSyscallError("connect", e)
	}
}

// Close stops every operation, deregisters and closes the fd (libuv's
// uv_close). Each pending operation completes once, from a later Poll (or
// the poller's Close), with an error matching net.ErrClosed: the read
// with done(buf, 0, err), each unfinished write with the bytes it had
// written, each accept and the connect; writes that had finished report
// their own result. Close returns close(2)'s error; a second Close returns
// an error matching net.ErrClosed. A completion backend would cancel what
// it submitted and report the cancellations the same way.
func (f *FD) Close() error {
	if f.closed {
		return errClosed
	}
	f.closed = true
	p := f.p
	p.sys.delOwned(f.fd)
	p.slots[f.fd].f = nil
	err := unix.Close(f.fd)
	f.fd = -1
	if f.busy() {
		p.enqueue(f)
	}
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// service runs and delivers what the FD can do now; it returns how many
// callbacks it ran. Every callback may change the FD (stop, close, start
// more), so the state is settled before each call and read again after.
func (f *FD) service() (ran int) {
	if f.cstate == connWaiting && f.wready && !f.closed {
		f.checkConnect()
	}
	if f.cstate == connDone {
		r := f.rare
		done, err := r.cdone, r.cerr
		f.cstate, r.cdone, r.cerr = connNone, nil, nil
		ran++
		done(err)
	}
	if f.closed {
		return ran + f.failAll()
	}
	if f.cstate != connWaiting {
		f.flush()
	}
	ran += f.deliverWrites()
	ran += f.serviceDgram()
	if f.closed {
		return ran + f.failAll()
	}
	for k := 0; f.rare.accepting() && f.rready && !f.closed; {
		if k == budget {
			f.p.enqueue(f)
			break
		}
		nfd, sa, err := f.p.accept(f.fd)
		if err == unix.EAGAIN {
			f.rready = false
			break
		}
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		k++
		r := f.rare
		done := r.acceptq[r.ahead]
		r.acceptq[r.ahead] = nil
		r.ahead++
		if r.ahead == len(r.acceptq) {
			r.acceptq, r.ahead = r.acceptq[:0], 0
		}
		var c *FD
		if err == nil {
			if c, err = f.p.register(nfd, false, f.stream); err != nil {
				unix.Close(nfd)
				c, sa = nil, nil
			}
		} else {
			err = os.NewSyscallError("accept", err)
		}
		ran++
		done(c, sa, err)
	}
	for k := 0; f.reading && f.rready && !f.closed; k++ {
		if k == budget {
			f.p.enqueue(f)
			break
		}
		buf := f.r.ReadBuffer()
		if f.closed || !f.reading {
			continue // alloc stopped or closed the FD: the buffer is back
		}
		if len(buf) == 0 {
			r := f.r
			f.StopRead()
			ran++
			r.ReadDone(buf, 0, fmt.Errorf("poll: fd %d: a Reader's ReadBuffer returned an empty buffer", f.fd))
			break
		}
		n, err := unix.Read(f.fd, buf)
		for err == unix.EINTR {
			n, err = unix.Read(f.fd, buf)
		}
		switch {
		case err == unix.EAGAIN:
			f.rready, f.rhup = false, false
			continue // the buffer is back, unused: the next read asks again
		case err != nil:
			err = os.NewSyscallError("read", err)
			n = 0
		case n == 0:
			err = io.EOF
		case n < len(buf) && f.stream && !f.rhup:
			f.rready = false
		}
		r := f.r
		if err != nil {
			f.StopRead()
		}
		ran++
		r.ReadDone(buf, n, err)
	}
	if f.closed {
		ran += f.failAll()
	}
	return ran
}

// deliverWrites runs the callbacks of the finished writes, in order.
func (f *FD) deliverWrites() (ran int) {
	for f.whead < f.wcur {
		op := f.wq[f.whead]
		f.wq[f.whead] = writeOp{}
		f.whead++
		if op.done != nil {
			ran++
			op.done.WriteDone(op.n, op.err)
		}
	}
	if int(f.whead) == len(f.wq) {
		f.wq, f.whead, f.wcur = f.wq[:0], 0, 0
	} else if f.whead > 64 && int(f.whead) > len(f.wq)/2 {
		n := copy(f.wq, f.wq[f.whead:])
		clear(f.wq[n:])
		f.wq, f.wcur, f.whead = f.wq[:n], f.wcur-f.whead, 0
	}
	return ran
}

// failAll completes every pending operation of a closed FD, once each.
func (f *FD) failAll() (ran int) {
	for f.busy() {
		if f.reading {
			r := f.r
			f.StopRead()
			ran++
			r.ReadDone(nil, 0, errClosed)
		}
		for ; int(f.wcur) < len(f.wq); f.wcur++ {
			f.wq[f.wcur].err = errClosed
		}
		ran += f.deliverWrites()
		if r := f.rare; r != nil {
			for r.ahead < len(r.acceptq) {
				done := r.acceptq[r.ahead]
				r.acceptq[r.ahead] = nil
				r.ahead++
				ran++
				done(nil, nil, errClosed)
			}
			r.acceptq, r.ahead = r.acceptq[:0], 0
		}
		if f.cstate != connNone {
			r := f.rare
			done, err := r.cdone, r.cerr
			if f.cstate == connWaiting {
				err = errClosed
			}
			f.cstate, r.cdone, r.cerr = connNone, nil, nil
			ran++
			done(err)
		}
		ran += f.failDgram()
	}
	return ran
}

// timeoutMillis rounds a wait up to whole milliseconds (never early),
// within what an int32 holds: about 24 days, after which Poll waits again.
func timeoutMillis(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return int(min(ms, 1<<31-1))
}
