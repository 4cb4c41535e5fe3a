package aio

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Extra information on a transport (Python: transport.get_extra_info) is
// Go methods, not a map: every Transport has LocalAddr and RemoteAddr
// ("sockname", "peername"); the TCP and TLS transports also implement
//
//	interface{ SyscallConn() (syscall.RawConn, error) }   // "socket", as *net.TCPConn
//
// and the TLS transport
//
//	interface{ ConnectionState() tls.ConnectionState }    // "ssl_object", "peercert", "cipher", as *tls.Conn
//
// so code asks a Transport for them with a type assertion, as it asks a
// net.Conn. Stream.ConnectionState gives the second for a stream.

var errRawIO = fmt.Errorf("aio: the loop reads and writes a transport's socket: its syscall.RawConn offers Control only (socket options, getsockname), as asyncio's TransportSocket refuses send and recv: %w", errors.ErrUnsupported)

// transportSocket is the syscall.RawConn of a TCP transport's socket.
type transportSocket struct{ t *tcpTransport }

// SyscallConn returns the transport's socket as a syscall.RawConn whose
// Control runs f with the fd (for socket options: Python's
// get_extra_info("socket")). Read and Write refuse, with an error matching
// errors.ErrUnsupported: the socket's reads and writes are the loop's.
// Call Control from the loop's goroutine, like the transport's methods,
// so that the fd cannot be closed while f runs; after the connection is
// closed it returns an error matching net.ErrClosed. Closing the fd, or
// making it blocking, breaks the transport.
func (t *tcpTransport) SyscallConn() (syscall.RawConn, error) { return transportSocket{t}, nil }

func (s transportSocket) Control(f func(fd uintptr)) error {
	fd := s.t.fd.Fd()
	if s.t.lost || fd < 0 {
		return fmt.Errorf("aio: SyscallConn.Control: %w", net.ErrClosed)
	}
	f(uintptr(fd))
	return nil
}

func (transportSocket) Read(func(fd uintptr) bool) error  { return errRawIO }
func (transportSocket) Write(func(fd uintptr) bool) error { return errRawIO }
