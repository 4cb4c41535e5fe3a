// Command httpd is a tiny HTTP/1.1 keep-alive responder on duet's event
// loop: every GET (any request, in fact) gets the same small body, which
// is what ab, wrk and h2load-style load generators need to measure a
// loop's connection handling. It uses the low-level API, a Protocol per
// connection, and parses requests in place (parse.go), pipelined ones
// included; a malformed request gets a 400 and the connection is closed.
//
//	go run ./examples/httpd -addr 127.0.0.1:8080
//
// It prints one line, "listening on ADDR", once it accepts connections, and
// exits with status 0 on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/examples/internal/demo"
)

func main() {
	addr, loops := demo.Flags("httpd", "127.0.0.1:8080")
	demo.Main("httpd", loops, func(ctx context.Context) error {
		return demo.Listen(ctx, addr, func() aio.BaseProtocol { return &conn{} })
	})
}

const body = "Hello from duet\n"

var (
	keepAliveResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	closeResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	badResponse = []byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
)

// conn answers the requests of one connection. DataReceived's bytes are
// lent, so a partial request is kept in pending, a copy, until the rest
// arrives; complete requests are answered straight from the lent buffer.
type conn struct {
	t       aio.Transport
	pending []byte
}

func (c *conn) ConnectionMade(t aio.Transport) { c.t = t }
func (c *conn) ConnectionLost(error)           {}
func (c *conn) EOFReceived() bool              { return false }

func (c *conn) DataReceived(p []byte) {
	buf := p
	if len(c.pending) > 0 {
		c.pending = append(c.pending, p...)
		buf = c.pending
	}
	for len(buf) > 0 {
		req, err := parseRequest(buf)
		switch {
		case errors.Is(err, errNeedMore):
			c.pending = append(c.pending[:0:0], buf...)
			return
		case err != nil:
			c.t.Write(badResponse)
			c.t.Close()
			return
		case !req.keepAlive:
			c.t.Write(closeResponse)
			c.t.Close()
			return
		}
		c.t.Write(keepAliveResponse)
		buf = buf[req.size:]
	}
	c.pending = c.pending[:0]
}
