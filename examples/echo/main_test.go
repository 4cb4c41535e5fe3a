package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// build compiles the example into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestEchoBinary runs the real program as the benchmark does: it waits for
// "listening on ADDR", echoes over a connection, answers SIGUSR1 with a
// stats line, and exits with status 0 on SIGTERM.
func TestEchoBinary(t *testing.T) {
	bin := build(t)
	for _, api := range []string{"protocol", "stream"} {
		t.Run(api, func(t *testing.T) { echoBinary(t, bin, api) })
	}
}

func echoBinary(t *testing.T, bin, api string) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-api", api, "-loops", "1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the program's output ended; stderr: %s", stderr.String())
			}
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("no line within 10s")
		}
		return ""
	}
	first := next()
	addr, ok := strings.CutPrefix(first, "listening on ")
	if !ok {
		t.Fatalf("first line %q, want \"listening on ADDR\"", first)
	}
	c, err := net.Dial("tcp", addr)
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

	cmd.Process.Signal(syscall.SIGUSR1)
	st, ok := strings.CutPrefix(next(), "stats ")
	if !ok {
		t.Fatal("no stats line after SIGUSR1")
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(st), &m); err != nil || m["heap_inuse"] <= 0 || m["stack_inuse"] <= 0 {
		t.Fatalf("stats %s: %v", st, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	// The server closes its connections on the way out.
	if n, err := c.Read(got); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after SIGTERM the connection reads %d, %v; want EOF", n, err)
	}
	c.Close()
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
	}
}

// TestEchoNotYet: the parts that come later exit with status 2 and say so.
func TestEchoNotYet(t *testing.T) {
	bin := build(t)
	for _, args := range [][]string{{"-loops", "4"}} {
		out, err := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "not yet") {
			t.Errorf("%v: %v, %q; want exit status 2 and \"not yet\"", args, err, out)
		}
	}
}
