package aio

import "net"

// BaseProtocol is what every protocol of a connection implements: the two
// ends of its life (Python: asyncio.BaseProtocol). A protocol implements
// one of Protocol or BufferedProtocol besides, and FlowController if it
// wants to hear when its writes should pause.
//
// The loop calls a protocol's methods on its own goroutine, one at a time,
// as callbacks: they must not block (hand blocking work to ToThread or a
// task), and what they share with the loop's tasks needs no lock. A panic
// in one is reported through the loop's exception handler and aborts that
// connection only (ConnectionLost then gets the *duet.PanicError).
type BaseProtocol interface {
	// ConnectionMade is called once, first, with the connection's
	// transport, which the protocol keeps to write and to close. Over TLS
	// it comes once the handshake is done, with the TLS transport; after
	// Loop.StartTLS it is called a second time, with the TLS transport
	// that replaces the first.
	ConnectionMade(t Transport)
	// ConnectionLost is called once, last, when the connection is closed:
	// err is nil for a close by either end in order (Close, an end of
	// stream the protocol did not keep open), else what ended it (a reset,
	// Abort's, a panic of the protocol's).
	ConnectionLost(err error)
}

// Protocol receives a connection's bytes as the transport reads them
// (Python: asyncio.Protocol).
type Protocol interface {
	BaseProtocol
	// DataReceived is called with bytes received. p is lent: it is valid
	// only until DataReceived returns, after which the transport reads
	// into it again; copy what must outlive the call.
	DataReceived(p []byte)
	// EOFReceived is called when the peer has closed its side for writing
	// (a half-close). Return true to keep the connection open for writing
	// (then close it with Close); false closes it. Python: eof_received,
	// whose true return value keeps the transport open.
	EOFReceived() (keepOpen bool)
}

// BufferedProtocol receives a connection's bytes in memory it lends, so
// that a server can parse in place without a copy (Python:
// asyncio.BufferedProtocol).
type BufferedProtocol interface {
	BaseProtocol
	// GetBuffer returns the memory for the next read, at least one byte
	// (sizeHint is what the transport would like, or 0 for no preference).
	// The transport fills it and then calls BufferUpdated; until then the
	// protocol must not touch it.
	GetBuffer(sizeHint int) []byte
	// BufferUpdated reports that the first n bytes of the buffer GetBuffer
	// returned now hold received data; the memory is the protocol's again.
	BufferUpdated(n int)
	// EOFReceived is Protocol's.
	EOFReceived() (keepOpen bool)
}

// FlowController is implemented by protocols that want to know when their
// transport's write buffer is full (Python: BaseProtocol.pause_writing and
// resume_writing). PauseWriting is called when the buffer goes above the
// high watermark, ResumeWriting when it has drained below the low one;
// writes made meanwhile are still accepted and buffered, so a protocol
// that ignores the calls only uses more memory.
type FlowController interface {
	PauseWriting()
	ResumeWriting()
}

// Transport is a connection as its protocol sees it: it writes, closes, and
// controls reading and write buffering (Python: asyncio.Transport). Its
// methods are for the loop's goroutine (the protocol's callbacks, the
// loop's tasks), like the protocol's own; none of them blocks.
//
// Extra information beyond the addresses (Python: get_extra_info) is in
// optional methods, asked for with a type assertion as on a net.Conn: the
// TCP and TLS transports have SyscallConn() (syscall.RawConn, error), the
// socket, and the TLS transport has ConnectionState() tls.ConnectionState,
// as *tls.Conn does (see extra.go).
type Transport interface {
	// Write sends p, buffering what the socket does not take at once; it
	// never blocks, and p may be reused as soon as Write returns. After
	// Close, WriteEOF or a lost connection it returns an error matching
	// net.ErrClosed.
	Write(p []byte) error
	// Writev is Write for several buffers, sent with one writev when they
	// can be.
	Writev(bufs [][]byte) error
	// WriteEOF closes the writing side once the buffered bytes are sent
	// (a half-close); reading goes on. Python: write_eof.
	WriteEOF() error
	// CanWriteEOF reports whether the transport can half-close (TCP can,
	// TLS cannot).
	CanWriteEOF() bool
	// Close closes the connection once the buffered bytes are sent; the
	// protocol's ConnectionLost is called with nil then. Reading stops at
	// once. Closing again does nothing.
	Close() error
	// Abort closes the connection at once, dropping what is buffered;
	// ConnectionLost is called with an error matching net.ErrClosed.
	Abort()
	// IsClosing reports whether Close or Abort was called or the
	// connection was lost.
	IsClosing() bool
	// PauseReading stops reading until ResumeReading (the bytes wait in
	// the kernel, and the peer is slowed by TCP's own flow control).
	PauseReading()
	// ResumeReading starts reading again.
	ResumeReading()
	// IsReading reports whether the transport reads.
	IsReading() bool
	// SetWriteBufferLimits sets the watermarks of the write buffer, in
	// bytes: above high the protocol's PauseWriting is called, below low
	// its ResumeWriting. high <= 0 means the default (64 KiB), low < 0 a
	// quarter of high; a TCP transport takes a high above 2 GiB as 2 GiB.
	// Python: set_write_buffer_limits.
	SetWriteBufferLimits(high, low int)
	// WriteBufferSize returns the bytes buffered and not yet sent.
	WriteBufferSize() int
	// LocalAddr and RemoteAddr return the connection's addresses (Python:
	// get_extra_info("sockname") and ("peername")).
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}
