package main

import (
	"bufio"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet/examples/internal/demotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Three clients of the real program: each line reaches the others, named;
// a rename and a departure are announced; SIGTERM exits with status 0.
func TestChatBinary(t *testing.T) {
	srv := demotest.Start(t, "-addr", "127.0.0.1:0")
	addr := srv.Addr

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

	srv.Cmd.Process.Signal(syscall.SIGTERM)
	if stderr, err := srv.Wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr)
	}
}

// With -loops 2, clients served by different loops see each other's lines.
func TestChatAcrossLoops(t *testing.T) {
	srv := demotest.Start(t, "-addr", "127.0.0.1:0", "-loops", "2")
	type client struct {
		c    net.Conn
		r    *bufio.Reader
		loop string
	}
	var byLoop [2]*client
	var extra []net.Conn
	for tries := 0; (byLoop[0] == nil || byLoop[1] == nil) && tries < 200; tries++ {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := bufio.NewReader(c)
		l, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(l, "welcome, ") {
			t.Fatalf("greeting %q, %v", l, err)
		}
		for i, tag := range []string{"; loop 0 of 2)", "; loop 1 of 2)"} {
			if strings.Contains(l, tag) && byLoop[i] == nil {
				byLoop[i] = &client{c, r, tag}
				c = nil
			}
		}
		if c != nil {
			extra = append(extra, c) // a second client of a loop already covered: keep it open
		}
	}
	if byLoop[0] == nil || byLoop[1] == nil {
		t.Fatal("200 connections never reached both loops")
	}
	a, b := byLoop[0], byLoop[1]
	a.c.Write([]byte("/name across\n"))
	for {
		l, err := b.r.ReadString('\n')
		if err != nil {
			t.Fatalf("loop 1's client: %v", err)
		}
		if strings.Contains(l, "is now across") {
			break
		}
	}
	a.c.Write([]byte("hello other loop\n"))
	for {
		l, err := b.r.ReadString('\n')
		if err != nil {
			t.Fatalf("loop 1's client: %v", err)
		}
		if strings.Contains(l, "across: hello other loop") {
			break
		}
	}
	for _, c := range append(extra, a.c, b.c) {
		c.Close()
	}
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	if stderr, err := srv.Wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr)
	}
}
