//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package aio

import (
	"net"
	"net/netip"

	"github.com/duet-go/duet/internal/poll"
)

// Datagram and Unix sockets are refused here as TCP is (sock_other.go).

var maxUnixPath = 107

type fileID struct{}

func udpSocket(*poll.Poller, netip.Addr) (*poll.FD, error)  { return nil, errNoSockets }
func unixSocket(*poll.Poller, bool) (*poll.FD, error)       { return nil, errNoSockets }
func setReusePort(int) error                                { return errNoSockets }
func setBroadcast(int) error                                { return errNoSockets }
func setV6Only(int, poll.Sockaddr, bool) error              { return errNoSockets }
func bindTo(int, poll.Sockaddr) error                       { return errNoSockets }
func connectDgram(int, poll.Sockaddr) error                 { return errNoSockets }
func listenFD(int, int) error                               { return errNoSockets }
func isIPv6Socket(int) bool                                 { return false }
func sendBufSize(int) int                                   { return 0 }
func isMsgSize(error) bool                                  { return false }
func udpAddrOf(poll.Sockaddr) net.Addr                      { return nil }
func unixAddrOf(poll.Sockaddr, string) net.Addr             { return nil }
func sameSockaddr(a, b poll.Sockaddr) bool                  { return false }
func udpSockaddr(*net.UDPAddr, bool) (poll.Sockaddr, error) { return nil, errNoSockets }
func unixSockaddr(string) (poll.Sockaddr, error)            { return nil, errNoSockets }
func isAbstract(string) bool                                { return false }
func removeStaleSocket(string) error                        { return errNoSockets }
func isNonSocketFile(string) bool                           { return false }
func socketFileID(string) (fileID, bool)                    { return fileID{}, false }
func removeSocketFile(string, fileID)                       {}
func sockName(int) poll.Sockaddr                            { return nil }
func peerName(int) poll.Sockaddr                            { return nil }
