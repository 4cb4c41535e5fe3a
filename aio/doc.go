// Package aio is duet's event loop: Python's asyncio model in Go.
//
// A Loop runs on one goroutine. Each iteration runs the callbacks and task
// steps that were ready when it began, in FIFO order, then waits for the
// earliest timer or a wake-up from another goroutine — the same iteration
// rule as CPython's BaseEventLoop._run_once, which programs and tests
// silently depend on.
//
// A task (Spawn) is an ordinary Go function, func(ctx) (T, error), run as a
// coroutine: it has its own goroutine but runs only while its loop hands it
// control, so the tasks of one loop never run at the same time and switch
// only where one of them waits through duet (Await, Sleep, a Lock, a
// Queue...). State shared by the tasks of one loop therefore needs no
// locks. A task that calls a blocking Go API (time.Sleep, sync.Mutex, a
// plain net.Conn read) blocks its whole loop, exactly as a blocking call
// does in asyncio; WithDebug reports such steps with the stack they are
// blocked in. Hand blocking work to goroutines and await their Futures.
//
// Run is asyncio.run: it makes a loop, runs main as a task, cancels and
// awaits what is left when main returns, and closes the loop. Everything
// that schedules work on a loop (CallSoon, CallLater, Spawn, Task.Cancel)
// is safe from any goroutine.
//
// Cancellation is asyncio's: Task.Cancel delivers one error matching
// duet.ErrCancelled at the task's pending or next wait, counts requests
// (Cancelling, Uncancel), and passes through to what the task awaits. The
// task's context is cancelled too, for Go APIs that watch contexts; unlike a
// Go context, a task may catch the cancellation and go on.
//
// A VirtualClock (WithVirtualClock) jumps to the next timer whenever every
// task waits, so tests of timeouts and schedules run in microseconds and in
// a deterministic order; work handed to threads holds it until done, and a
// pending I/O wait holds it for a short real-time threshold
// (WithAutojumpThreshold). Only the loop's own timers follow the loop's
// clock: Sleep, CallLater, duet.WithTimeout and friends. A
// context.WithTimeout deadline is Go's and runs on real time, so prefer
// duet.WithTimeout inside tasks. Any other Clock (WithClock) is waited for
// as it says (SleepClock), by default at the rate of real time.
//
// A loop does network I/O itself, on its own poller (epoll, kqueue; see
// internal/poll), with no goroutine per connection; it moves to the poller
// at its first I/O registration. Dial and Listen give connections as
// Streams: a Stream is a connection read and written as bytes (asyncio's
// StreamReader and StreamWriter in one value), and its methods take a
// context like duet's primitives, so tasks and goroutines may read and
// write one stream at once; NetConn and NetListen give it to goroutine-side
// Go code (net/http, crypto/tls) as a net.Conn and a net.Listener.
// CreateConnection and CreateServer are the callback layer under streams:
// a Protocol per connection, driven by its Transport (protocol.go), as
// asyncio's create_connection and create_server. TLS (crypto/tls) goes
// over either layer, on both sides (WithTLS, WithServerTLS,
// WithStreamTLS), and Stream.StartTLS and Loop.StartTLS upgrade an open
// connection; after the handshake a TLS connection has no goroutine
// either (tls.go). AddReader and AddWriter watch raw fds. StartProcess
// runs a child whose piped standard streams are Streams on the same
// poller, and reaps it there (a pidfd on Linux); AddSignalHandler runs a
// handler on the loop for a signal, and Run cancels main on Ctrl-C as
// asyncio.run does; a File's reads and writes run on the default
// executor, since a disk is never "ready" to a poller.
//
// The network "unix" gives all of these over Unix-domain stream sockets.
// Datagrams (UDP, "unixgram") have the same two layers:
// CreateDatagramEndpoint with a DatagramProtocol (asyncio's
// create_datagram_endpoint), and PacketConn (ListenPacket, DialPacket),
// whose ReadFrom and WriteTo wait as a Stream's methods do.
//
// The threading world is one call away: ToThread and RunInExecutor run a
// function on a thread.Pool (the loop's default executor unless given one)
// and give a Future a task awaits without blocking the loop; from any
// goroutine, Spawn(loop.Context(), fn) starts a task on a given loop and its
// Future can be awaited there (Python: run_coroutine_threadsafe).
package aio
