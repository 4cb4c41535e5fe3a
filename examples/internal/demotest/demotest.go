// Package demotest runs an example server as its tests need it: the real
// program, built from its package directory, started with arguments, and
// read up to its "listening on ADDR" line.
package demotest

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a running example program.
type Server struct {
	Addr   string
	Cmd    *exec.Cmd
	Lines  <-chan string // what it prints after the listening line
	stderr *strings.Builder
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// Start builds the package in the current directory and runs it with
// args (Build, then Run).
func Start(t *testing.T, args ...string) *Server {
	t.Helper()
	return Run(t, Build(t), args...)
}

// Build compiles the package in the current directory into the test's
// temporary directory and returns the program's path.
func Build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Run runs the program bin with args; it fails the test unless the program
// prints "listening on ADDR" first. The program is killed at the end of the
// test if still running.
func Run(t *testing.T, bin string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd, stderr: new(strings.Builder), exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
	})
	lines := make(chan string, 64)
	s.Lines = lines
	go func() {
		defer close(s.exited)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		s.err = cmd.Wait()
	}()
	select {
	case l, ok := <-lines:
		addr, found := strings.CutPrefix(l, "listening on ")
		if !ok || !found {
			<-s.exited
			t.Fatalf("first line %q; stderr: %s", l, s.stderr)
		}
		s.Addr = addr
	case <-time.After(60 * time.Second):
		t.Fatal("no listening line within a minute")
	}
	return s
}

// Next returns the next line the program prints, failing the test if
// none comes within a minute or the output ends.
func (s *Server) Next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.Lines:
		if !ok {
			<-s.exited
			t.Fatalf("the program's output ended; stderr: %s", s.stderr)
		}
		return l
	case <-time.After(60 * time.Second):
		t.Fatal("no line within a minute")
		return ""
	}
}

// Wait waits up to a minute for the program to exit and returns what it
// wrote to its standard error and its exit error (nil for status 0).
func (s *Server) Wait(t *testing.T) (stderr string, err error) {
	t.Helper()
	select {
	case <-s.exited:
		return s.stderr.String(), s.err
	case <-time.After(60 * time.Second):
		t.Fatal("still running a minute later")
		return "", nil
	}
}
