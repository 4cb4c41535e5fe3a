//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet/examples/internal/demotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestEchoBinary runs the real program as the benchmark does: it waits for
// "listening on ADDR", echoes over a connection, answers SIGUSR1 with a
// stats line, and exits with status 0 on SIGTERM.
func TestEchoBinary(t *testing.T) {
	bin := demotest.Build(t)
	for _, api := range []string{"protocol", "stream"} {
		t.Run(api, func(t *testing.T) { echoBinary(t, bin, api) })
	}
}

func echoBinary(t *testing.T, bin, api string) {
	srv := demotest.Run(t, bin, "-addr", "127.0.0.1:0", "-api", api, "-loops", "1")
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := strings.Repeat("echo me ", 10000)
	go c.Write([]byte(msg))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo: %v (%d bytes)", err, len(got))
	}

	srv.Cmd.Process.Signal(syscall.SIGUSR1)
	st, ok := strings.CutPrefix(srv.Next(t), "stats ")
	if !ok {
		t.Fatal("no stats line after SIGUSR1")
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(st), &m); err != nil || m["heap_inuse"] <= 0 || m["stack_inuse"] <= 0 || m["goroutines"] <= 0 {
		t.Fatalf("stats %s: %v", st, err)
	}

	srv.Cmd.Process.Signal(syscall.SIGTERM)
	// The server closes its connections on the way out.
	if n, err := c.Read(got); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after SIGTERM the connection reads %d, %v; want EOF", n, err)
	}
	c.Close()
	if stderr, err := srv.Wait(t); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, stderr)
	}
}

// TestEchoLoops: -loops 2 serves one address from two loops, with either
// API, and exits cleanly on SIGTERM; -loops 0 is refused.
func TestEchoLoops(t *testing.T) {
	bin := demotest.Build(t)
	for _, api := range []string{"protocol", "stream"} {
		srv := demotest.Run(t, bin, "-addr", "127.0.0.1:0", "-api", api, "-loops", "2")
		for i := range 50 {
			c, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			msg := []byte(fmt.Sprintf("hello %d\n", i))
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
				t.Fatalf("%s, connection %d: echo %q, %v", api, i, got, err)
			}
			c.Close()
		}
		srv.Cmd.Process.Signal(syscall.SIGTERM)
		if stderr, err := srv.Wait(t); err != nil {
			t.Fatalf("%s: exit: %v; stderr: %s", api, err, stderr)
		}
	}
	out, err := exec.Command(bin, "-addr", "127.0.0.1:0", "-loops", "0").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "need at least 1") {
		t.Errorf("-loops 0: %v, %q; want exit status 2", err, out)
	}
}
