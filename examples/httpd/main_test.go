package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServer builds and runs the real program, returning its address.
func startServer(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "httpd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v", line, err)
	}
	return addr, cmd
}

// The responder serves a net/http client over one kept-alive connection,
// pipelined requests in order, closes after "Connection: close" and after
// a malformed request, and exits with status 0 on SIGTERM.
func TestHTTPDBinary(t *testing.T) {
	addr, cmd := startServer(t)

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

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGTERM")
	}
}
