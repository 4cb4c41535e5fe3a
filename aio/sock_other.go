//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package aio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/duet-go/duet/internal/poll"
)

// errNoSockets refuses TCP on systems whose poller has no fd support (see
// internal/poll's fallback).
var errNoSockets = fmt.Errorf("aio: sockets are not supported on this system: %w", errors.ErrUnsupported)

func tcpSocket(*poll.Poller, netip.Addr) (*poll.FD, error) { return nil, errNoSockets }
func toSockaddr(netip.Addr, uint16) poll.Sockaddr          { return nil }
func tcpAddrOf(poll.Sockaddr) net.Addr                     { return nil }
func localAddr(int) net.Addr                               { return nil }
func peerAddr(int) net.Addr                                { return nil }
func fdInetAddr(int, bool) inetAddr                        { return inetAddr{} }
func sockaddrInet(poll.Sockaddr) inetAddr                  { return inetAddr{} }
func setNoDelay(int, bool) error                           { return errNoSockets }
func listenTCP(int, poll.Sockaddr, bool, int) error        { return errNoSockets }
func writeNow(int, []byte) (int, error)                    { return 0, errNoSockets }
func shutdownWrite(int) error                              { return errNoSockets }

func dupFD(int) (int, error) { return -1, errNoSockets }
func closeFD(int)            {}
