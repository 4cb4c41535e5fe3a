package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet/examples/internal/demotest"
)

// The responder serves a net/http client over one kept-alive connection,
// pipelined requests in order, closes after "Connection: close" and after
// a malformed request, and exits with status 0 on SIGTERM.
func TestHTTPDBinary(t *testing.T) {
	srv := demotest.Start(t, "-addr", "127.0.0.1:0")
	addr := srv.Addr

	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range 5 {
		resp, err := client.Get("http://" + addr + "/x")
		if err != nil {
			t.Fatalf("GET %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != body {
			t.Fatalf("GET %d: %d %q", i, resp.StatusCode, b)
		}
	}

	raw := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		for i := 0; i < len(req); i += 7 { // in pieces, to cross the parser's edges
			c.Write([]byte(req[i:min(i+7, len(req))]))
			time.Sleep(time.Millisecond)
		}
		got, _ := io.ReadAll(c) // until the server closes
		return string(got)
	}
	got := raw("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
	if n := strings.Count(got, "HTTP/1.1 200 OK"); n != 3 || !strings.HasSuffix(got, body) || !strings.Contains(got, "Connection: close") {
		t.Fatalf("pipelined requests: %d responses: %q", n, got)
	}
	if got := raw("GARBAGE\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 400 ") {
		t.Fatalf("malformed request: %q", got)
	}
	if got := raw("GET / HTTP/1.0\r\n\r\n"); strings.Count(got, "200 OK") != 1 {
		t.Fatalf("HTTP/1.0 request: %q", got)
	}

	srv.Cmd.Process.Signal(syscall.SIGTERM)
	if stderr, err := srv.Wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr)
	}
}
