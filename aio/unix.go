package aio

import (
	"context"
	"fmt"

	"github.com/duet-go/duet/internal/poll"
)

// This file is the "unix" network of CreateServer and CreateConnection,
// and so of Listen, NetListen and Dial (Python: loop.create_unix_server,
// loop.create_unix_connection, asyncio.start_unix_server and
// open_unix_connection): Unix-domain stream sockets, with the transports
// and streams of TCP. What differs is the address, a socket path, and the
// socket file the server binds.
//
// The stale-file rule is asyncio's (unix_events.create_unix_server): a
// socket file at the path is removed before the bind, since one left by a
// server that exited would make the bind fail; asyncio does not ask whether
// a server still listens there, and neither does duet, so two servers
// given one path take it from each other. Any other file is left alone and
// the server refused with an error matching syscall.EADDRINUSE. Close
// removes the socket file if it is still the one the server bound, as
// Python 3.13's cleanup_socket=True does by default.

// listenUnix makes the listening socket of CreateServer's "unix" network
// at path, and the cleanup that removes its socket file.
func listenUnix(p *poll.Poller, path string, backlog int) (*poll.FD, func(), error) {
	fd, sa, err := unixStreamSocket(p, path)
	if err != nil {
		return nil, nil, err
	}
	cleanup, err := bindUnix(fd.Fd(), path, sa)
	if err == nil {
		if err = listenFD(fd.Fd(), backlog); err != nil && cleanup != nil {
			cleanup()
		}
	}
	if err != nil {
		fd.Close()
		return nil, nil, err
	}
	return fd, cleanup, nil
}

// dialUnix connects a Unix stream socket to path and waits; on any
// failure, a cancellation included, the socket is closed before it
// returns. A server whose backlog is full refuses at once (EAGAIN), as a
// non-blocking connect to a Unix socket does: there is no handshake to
// wait for.
func (l *Loop) dialUnix(ctx context.Context, p *poll.Poller, path string) (*poll.FD, error) {
	fd, sa, err := unixStreamSocket(p, path)
	if err != nil {
		return nil, err
	}
	if err := l.connectFD(ctx, fd, sa); err != nil {
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	return fd, nil
}

// unixStreamSocket checks path and makes a Unix stream socket for it.
func unixStreamSocket(p *poll.Poller, path string) (*poll.FD, poll.Sockaddr, error) {
	sa, err := unixSockaddr(path)
	if err != nil {
		return nil, nil, err
	}
	fd, err := unixSocket(p, false)
	if err != nil {
		return nil, nil, err
	}
	return fd, sa, nil
}
