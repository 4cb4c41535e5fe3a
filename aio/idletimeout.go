package aio

import (
	"os"
	"time"
)

// ErrIdleTimeout is what a connection's ConnectionLost gets when its
// server closed it for idling (WithIdleTimeout), and what a Listen
// handler's reads return then, after the bytes received before. Like a
// net.Conn's expired deadline, it matches os.ErrDeadlineExceeded and is a
// net.Error whose Timeout is true, as is the *net.OpError that a
// Stream.NetConn view's Read wraps it in.
var ErrIdleTimeout error = idleTimeoutError{}

type idleTimeoutError struct{}

func (idleTimeoutError) Error() string {
	return "aio: the connection received and sent nothing for its server's idle timeout and was closed (raise WithIdleTimeout, or have the peer send within it): " + os.ErrDeadlineExceeded.Error()
}
func (idleTimeoutError) Unwrap() error   { return os.ErrDeadlineExceeded }
func (idleTimeoutError) Timeout() bool   { return true }
func (idleTimeoutError) Temporary() bool { return true } // as os.ErrDeadlineExceeded's

// idleSweeps is how many sweeps of a server's connections make up its
// idle timeout: a connection is closed at the first sweep that finds it
// silent for idleSweeps+1 sweeps in a row, so idle for at least the
// timeout and at most a quarter more.
const idleSweeps = 4

// minSweepEvery bounds how often a server with a tiny idle timeout sweeps
// its connections, so that a nanosecond timeout does not busy the loop.
const minSweepEvery = time.Millisecond

// WithIdleTimeout closes each connection of the server that receives and
// sends nothing for d (Go: net/http's Server.IdleTimeout and a net.Conn's
// deadlines; Envoy's and HAProxy's idle timeouts count bytes in both
// directions the same way; asyncio has none). The transport is aborted:
// what it had buffered is dropped, the socket closed, and the protocol's
// ConnectionLost gets ErrIdleTimeout (matching os.ErrDeadlineExceeded).
// A connection is idle whatever the reason nothing flows: a silent peer, a
// peer that stopped reading the server's writes (write progress is
// activity, a full socket buffer is not), or a protocol that paused
// reading or a handler that computes for longer than d, so choose d above
// the slowest reply. Bytes count when the transport reads them from the
// socket or hands them to it, a large write's as they leave: a peer still
// draining what the kernel's socket buffers took (a few MiB at most)
// counts as idle meanwhile. A connection is closed between d and 1.25·d after the
// last byte moved (never sooner; later if the loop is busy, and at most
// 5 ms after for a d under 4 ms, which sweeps every millisecond), as
// measured by the loop's clock: with a VirtualClock the timeout jumps
// with it. The server's Close leaves the timeout running for the
// connections that remain. A TLS server's connections (WithServerTLS,
// WithStreamTLS) count their bytes at the socket, handshake included, and
// their protocols and handlers hear ErrIdleTimeout as plain ones do.
//
// The cost is one timer per server, not per connection: the server sweeps
// its connections every d/4 while it has any, and a read or write only
// clears a per-connection counter. It does not bound a peer that trickles
// a byte at a time (slowloris), which an idle timeout cannot tell from a
// slow link: bound the time to read a request with a deadline (a ctx
// deadline around a Listen handler's reads, duet.WithTimeout; CallLater
// and Abort in a protocol).
//
// d <= 0 (the default) means no idle timeout. Listen and NetListen take it
// through WithServerOptions.
func WithIdleTimeout(d time.Duration) ServerOption {
	return func(o *serverOpts) { o.idleTimeout = d }
}

// armIdleSweep schedules the next sweep if the server has an idle timeout
// and none is scheduled; the sweep re-arms itself while connections
// remain, so a server with none holds no timer.
func (s *Server) armIdleSweep() {
	if s.idleTimeout <= 0 || s.sweepArmed {
		return
	}
	if _, err := s.l.CallLater(max(s.idleTimeout/idleSweeps, minSweepEvery), s.sweepIdle); err == nil {
		s.sweepArmed = true // else the loop is closing, and its connections with it
	}
}

// sweepIdle counts one more silent sweep for every connection and closes
// those silent for the whole timeout. A TLS connection's bytes count at
// its socket (its raw TCP transport), handshake and records alike; it is
// closed through its TLS transport, whose protocol hears ErrIdleTimeout.
func (s *Server) sweepIdle() {
	s.sweepArmed = false
	// Backwards: a connection closed now may leave at once, the last one
	// (seen already) taking its place; one whose ConnectionLost closes
	// others may shorten the slice more.
	for i := len(s.clients) - 1; i >= 0; i-- {
		if i >= len(s.clients) {
			continue
		}
		c := s.clients[i]
		var t *tcpTransport
		switch c := c.(type) {
		case *tcpTransport:
			t = c
		case *tlsTransport:
			t = c.raw // nil until attached
		}
		if t == nil || t.lost {
			continue
		}
		// A poller write reports only when all of it is out: bytes of a
		// large one leaving meanwhile are activity too.
		if w := uint32(t.fd.WriteProgress()); w != t.wprogress {
			t.wprogress, t.idleSweeps = w, 0
			continue
		}
		if t.idleSweeps++; t.idleSweeps > idleSweeps {
			if tt, ok := c.(*tlsTransport); ok {
				tt.lose(ErrIdleTimeout)
			} else {
				t.lose(ErrIdleTimeout)
			}
		}
	}
	if len(s.clients) > 0 {
		s.armIdleSweep()
	}
}
