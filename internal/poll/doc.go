// Package poll is the I/O poller under duet's event loop: the one place
// that waits for fds, for a wake-up from another goroutine and for a
// timeout, all in one system call. A loop owns one Poller and calls Poll
// once per iteration, with the time until its next timer (0 when it has
// callbacks ready); transports (TCP, TLS, UDP and Unix sockets, later
// pipes) are built on its FDs, and asyncio's add_reader and add_writer on its raw
// readiness. Python's counterpart is the selector inside
// BaseSelectorEventLoop; uvloop's is libuv's uv__io_poll.
//
// Backends: epoll on Linux (with an eventfd for Wake), kqueue on macOS and
// the BSDs (with a pipe), and elsewhere a fallback that supports Wake and
// timeouts and refuses fds with errors.ErrUnsupported, the place for a
// portable backend over Go's net package (or IOCP on Windows). Sockets
// the poller creates are non-blocking and close-on-exec from their
// creation, adopted fds are made non-blocking, and none of them is known
// to Go's own netpoller.
//
// # A completion-style API
//
// An FD's operations are started by a call that never blocks and report
// through a callback: StartRead(r) reads on until StopRead, reporting to
// r (a Reader), Write(bufs, done) writes every byte, Accept(done) and
// Connect(sa, done) report their result, Close completes whatever is
// pending. Datagram
// sockets have operations of their own (dgram_unix.go): StartRecvFrom
// reports each datagram with its sender, TrySendTo and SendTo send one to
// an address, and an error fails one datagram and ends nothing, where a
// stream read stops at one and a stream write's is sticky. This is
// libuv's shape and io_uring's, not the readiness shape ("tell me when it
// is readable, then I read") of CPython's selector transports: transports
// written against it never see readiness, so an io_uring backend fits
// under them unchanged. It would submit a recv (or a multishot recv) at
// StartRead, a writev at Write, an accept or a connect SQE, an
// ASYNC_CANCEL at StopRead and Close; Poll would be one io_uring_enter
// that submits what is queued and waits for completions or the timeout,
// and Wake an eventfd registered for its completions (or a ring message).
// The readiness backends here do the same work on readiness: they wait,
// then make the non-blocking syscall and call done.
//
// # Triggering
//
// Owned fds are edge-triggered (EPOLLET, kqueue's EV_CLEAR), registered
// once for both directions when the FD is made and never modified. Go's
// netpoller does the same, and mio/tokio. Why:
//
//   - Edge triggering obliges the reader to go on until EAGAIN, or else
//     it hears nothing more. Here the poller, not the transport, makes the
//     syscalls, so that obligation is met in one place and transports never
//     see it. The poller remembers per direction whether the fd may still
//     be ready (no EAGAIN since the last edge), which is all edge
//     triggering needs.
//   - Starting and stopping operations costs no epoll_ctl. Level triggering
//     must drop interest in a direction nobody waits on, or be told about
//     it every iteration: libuv and CPython's selector transports make an
//     EPOLL_CTL_MOD each time reading is paused or resumed (asyncio's
//     flow control does that constantly under back-pressure) and each time
//     a write buffer fills or empties.
//   - A transport that stops reading mid-buffer: its fd stays silent (no
//     edge comes, no busy loop), the data waits in the kernel, and since
//     the poller knows the fd was not drained, StartRead reads it at the
//     next Poll without waiting for an edge that will not come. No byte is
//     lost or read twice.
//   - EPOLLONESHOT would cost an EPOLL_CTL_MOD to re-arm after every
//     operation; it exists so that several threads waiting on one epoll
//     do not get the same fd, and a loop's poller has one waiter.
//   - A short transfer (fewer bytes read or written than offered) proves a
//     stream fd was drained or filled, so readiness is dropped without the
//     extra syscall that would return EAGAIN: the next arrival, or the
//     next freed space, is a new edge. When the event also reported a
//     hang-up or an error (EPOLLRDHUP, EPOLLHUP, EPOLLERR, EV_EOF), which
//     would not be reported again, only EAGAIN drops readiness, so the
//     end of stream is read right after the last data.
//   - An fd that stays readable is read at most 16 times per Poll, then
//     served again at the next: edge triggering must not let one busy peer
//     starve the others and the loop's timers (libuv stops at 32 reads).
//
// gnet keeps epoll level-triggered by default because its handlers read
// and write themselves, the readiness shape; with an API where the poller
// does the I/O, edge triggering is the cheaper and simpler choice.
//
// Raw readiness (AddReader, AddWriter) is level-triggered: the callback,
// not the poller, does the I/O, and asyncio's contract is that the
// callback is called while the fd is readable, whether or not it read
// everything. Its interest follows the callbacks registered, changed with
// EPOLL_CTL_MOD (kqueue: EV_ADD, EV_DELETE), as in CPython.
//
// Timeouts: epoll_wait takes whole milliseconds, and Poll rounds up, so it
// never returns early; the loop rounds its timer waits to milliseconds
// already (timers due within one millisecond run in one iteration), so
// epoll_pwait2's nanoseconds would buy nothing but a kernel requirement
// (Linux 5.11). kqueue takes the timeout to the nanosecond.
//
// # Threading
//
// Wake may be called from any goroutine at any time; Wakes before one Poll
// coalesce into one write to the wake-up fd. Everything else — Poll,
// Close, Register, Socket, AddReader, AddWriter, RemoveReader,
// RemoveWriter, and every method of an FD — must be called from the
// polling goroutine (the loop's), one call at a time. Callbacks run only
// on that goroutine, inside Poll (or the poller's Close), one at a time,
// never from inside the call that started the operation: a callback may
// start, stop or close anything except call Poll or Close.
//
// # Buffers
//
// A read buffer is lent: from alloc's return until done is called with it
// (or until StopRead, StartRead or Close returns if done was not), the
// caller must not touch it; once done has returned, the poller does not.
// A transport may therefore lend a protocol's own buffer (asyncio's
// BufferedProtocol.get_buffer) and report buffer_updated(n) from done. The
// readiness backends call alloc only when the fd is readable; a completion
// backend calls it when it submits the read, and the kernel fills it
// later, which is why the rule is written for the longest loan. Write's
// buffers, and the slice that holds them, are lent until done; the poller
// never modifies them.
//
// # The loop's side
//
// The loop calls Poll(0) when it has callbacks ready and Poll(until the
// next timer) when it has none (-1 with no timer), and calls Wake where it
// now signals its wake channel (a thread-safe CallSoon onto a sleeping
// loop). Callbacks run inside Poll. CPython appends the I/O handles to
// _ready behind the callbacks already there and ahead of the timers that
// came due; a loop that polls after running its ready callbacks and
// before collecting its timers keeps that order exactly. A virtual clock
// must still Poll(0) every iteration while fds are registered, and may
// jump only when nothing else can happen.
package poll
