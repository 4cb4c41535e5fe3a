//go:build linux

package aio

import (
	"net"
	"testing"
)

// The raw getsockname/getpeername of Linux and x/sys's path (the BSDs',
// and Linux's when the raw calls are missing) read the same addresses, for
// both ends of an IPv4 and, where the system has it, an IPv6 connection.
func TestInetAddrRawMatchesXSys(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		ln, err := net.Listen(network, map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network])
		if err != nil {
			if network == "tcp6" {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		c, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			ln.Close()
			t.Fatal(err)
		}
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		raw.Control(func(fd uintptr) {
			for _, peer := range []bool{false, true} {
				got, want := fdInetAddr(int(fd), peer), inetAddrOf(int(fd), peer)
				if got != want || got.fam == 0 {
					t.Errorf("%s peer=%v: raw %+v, x/sys %+v", network, peer, got, want)
				}
				wantAddr := c.LocalAddr()
				if peer {
					wantAddr = c.RemoteAddr()
				}
				if s := got.tcp().String(); s != wantAddr.String() {
					t.Errorf("%s peer=%v: %s, want %s", network, peer, s, wantAddr)
				}
			}
		})
		c.Close()
		ln.Close()
	}
}
