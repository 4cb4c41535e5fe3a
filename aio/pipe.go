package aio

import (
	"fmt"
	"net"

	"github.com/duet-go/duet/internal/poll"
)

// pipeKind is the direction of a pipe end the parent holds.
type pipeKind uint8

const (
	pipeReader pipeKind = iota + 1 // a child's stdout or stderr
	pipeWriter                     // a child's stdin
)

// errPipeReadOnly is what writing to the read end of a pipe fails with.
var errPipeReadOnly = fmt.Errorf("aio: the stream is a child's output pipe, which is read-only: %w", net.ErrClosed)

// pipeTransport is one end of a pipe as its protocol sees it (Python:
// asyncio.unix_events._UnixReadPipeTransport and _UnixWritePipeTransport).
// A pipe fd is a stream fd like a TCP socket's, so the TCP transport's
// reading, write buffer and watermarks serve it unchanged; this type only
// changes what differs: one direction per end, no half-close (the write
// end's WriteEOF closes it, as asyncio's does), and the read end closes
// itself at the end of the stream (no writing side to keep open).
type pipeTransport struct {
	*tcpTransport
	kind pipeKind
}

// newPipeTransport adopts fd, a pipe end that is close-on-exec, into the
// loop's poller (which makes it non-blocking) and wraps it; start makes it
// live. On error the caller still owns fd.
func newPipeTransport(l *Loop, p *poll.Poller, fd int, kind pipeKind, proto Protocol) (*pipeTransport, error) {
	f, err := p.Register(fd)
	if err != nil {
		return nil, err
	}
	return &pipeTransport{tcpTransport: newTCPTransport(l, f, proto, nil, inetAddr{}, inetAddr{}), kind: kind}, nil
}

// start calls ConnectionMade with the pipe transport itself (not the TCP
// transport inside it, whose WriteEOF would shut down a socket) and starts
// reading a read end.
func (t *pipeTransport) start() {
	tt := t.tcpTransport
	tt.reading = t.kind == pipeReader
	if !tt.guard("ConnectionMade", func() { tt.proto().ConnectionMade(t) }) || !tt.reading {
		return
	}
	if err := tt.fd.StartRead(tt.io()); err != nil {
		tt.lose(err)
	}
}

// Write implements Transport; the read end refuses.
func (t *pipeTransport) Write(p []byte) error {
	if t.kind == pipeReader {
		return errPipeReadOnly
	}
	return t.tcpTransport.Write(p)
}

// Writev implements Transport; the read end refuses.
func (t *pipeTransport) Writev(bufs [][]byte) error {
	if t.kind == pipeReader {
		return errPipeReadOnly
	}
	return t.tcpTransport.Writev(bufs)
}

// WriteEOF implements Transport: the write end closes once its buffer is
// written, which the child reads as the end of its input.
func (t *pipeTransport) WriteEOF() error {
	if t.kind == pipeReader {
		return errPipeReadOnly
	}
	return t.tcpTransport.Close()
}

// CanWriteEOF implements Transport: true for the write end only.
func (t *pipeTransport) CanWriteEOF() bool { return t.kind == pipeWriter }

// ResumeReading implements Transport; the write end never reads.
func (t *pipeTransport) ResumeReading() {
	if t.kind == pipeReader {
		t.tcpTransport.ResumeReading()
	}
}

var _ Transport = (*pipeTransport)(nil)
