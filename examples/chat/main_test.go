package main

import (
	"bufio"
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

// Three clients of the real program: each line reaches the others, named;
// a rename and a departure are announced; SIGTERM exits with status 0.
func TestChatBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}

	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	dial := func() client {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		cl := client{c, bufio.NewReader(c)}
		if l, _ := cl.r.ReadString('\n'); !strings.HasPrefix(l, "welcome, ") {
			t.Fatalf("greeting %q", l)
		}
		return cl
	}
	expect := func(cl client, want string) {
		t.Helper()
		l, err := cl.r.ReadString('\n')
		if err != nil || !strings.Contains(l, want) {
			t.Fatalf("read %q, %v; want a line with %q", l, err, want)
		}
	}
	a := dial()
	b := dial()
	expect(a, "joined")
	c := dial()
	expect(a, "joined")
	expect(b, "joined")

	a.c.Write([]byte("/name alice\n"))
	for _, cl := range []client{a, b, c} {
		expect(cl, "is now alice")
	}
	a.c.Write([]byte("hello, "))
	a.c.Write([]byte("room\n"))
	expect(b, "alice: hello, room")
	expect(c, "alice: hello, room")
	b.c.Close()
	expect(a, "left")
	expect(c, "left")
	c.c.Write([]byte("still here\n"))
	expect(a, ": still here")
	a.c.Close()
	c.c.Close()

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
