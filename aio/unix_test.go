//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package aio_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// A Unix stream server with Stream handlers, dialled from a task and from
// a goroutine, over a stale socket file; Close removes the file.
func TestUnixStreamListenDial(t *testing.T) {
	path := t.TempDir() + "/upper.sock"
	leaveStaleSocket(t, path, unix.SOCK_STREAM)
	before := openFDs(t)
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		srv, err := aio.Listen(ctx, "unix", path, upper)
		if err != nil {
			return fmt.Errorf("Listen over a stale socket file: %v", err)
		}
		if got := srv.Addrs()[0].String(); got != path {
			return fmt.Errorf("Addrs %s, want %s", got, path)
		}
		s, err := aio.Dial(ctx, "unix", path)
		if err != nil {
			return err
		}
		if s.RemoteAddr().String() != path {
			return fmt.Errorf("the client's RemoteAddr is %v, want %s", s.RemoteAddr(), path)
		}
		s.Write(ctx, []byte("from a task\n"))
		if line, err := s.ReadLine(ctx); string(line) != "FROM A TASK\n" {
			return fmt.Errorf("task: %q, %v", line, err)
		}
		s.Close()
		lctx := aio.LoopOf(ctx).Context()
		res := duet.NewFuture[string]()
		go func() {
			s, err := aio.Dial(lctx, "unix", path)
			if err != nil {
				res.SetError(err)
				return
			}
			defer s.Close()
			s.Write(lctx, []byte("from a goroutine\n"))
			line, err := s.ReadLine(lctx)
			res.Complete(string(line), err)
		}()
		if line, err := duet.Await(ctx, res); line != "FROM A GOROUTINE\n" {
			return fmt.Errorf("goroutine: %q, %v", line, err)
		}
		srv.Close()
		srv.CloseClients()
		if err := srv.WaitClosed(ctx); err != nil {
			return err
		}
		if err := unix.Lstat(path, new(unix.Stat_t)); !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("the socket file is still there after Close (%v)", err)
		}
		if _, err := aio.Dial(ctx, "unix", path); !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("Dial after the server closed: %v, want ENOENT", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// leaveStaleSocket binds a socket to path and closes it, leaving its file.
func leaveStaleSocket(t *testing.T, path string, typ int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, typ, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
}

// A regular file at the path is not removed, and the server is refused;
// so is a path longer than sun_path.
func TestUnixServerPathErrors(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/not-a-socket"
	if err := os.WriteFile(file, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := dir + "/" + strings.Repeat("x", 120) + ".sock"
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		_, err := aio.Listen(ctx, "unix", file, upper)
		if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "not a socket") {
			return fmt.Errorf("Listen on a regular file: %v, want EADDRINUSE saying it is not a socket", err)
		}
		if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
			return fmt.Errorf("the regular file was touched: %q, %v", b, err)
		}
		for _, try := range []func() error{
			func() error { _, err := aio.Listen(ctx, "unix", long, upper); return err },
			func() error { _, err := aio.Dial(ctx, "unix", long); return err },
			func() error { return endpoint(ctx, "unixgram", long, "", newDrec()) },
		} {
			if err := try(); err == nil || !strings.Contains(err.Error(), "at most") {
				return fmt.Errorf("a %d-byte path: %v, want an error giving the limit", len(long), err)
			}
		}
		return nil
	})
}

// A Unix server answers asyncio's open_unix_connection.
func TestUnixServerPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	path := t.TempDir() + "/py.sock"
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, err := aio.Listen(ctx, "unix", path, upper)
		if err != nil {
			return err
		}
		defer srv.Close()
		script := `
import asyncio, sys
async def main():
    r, w = await asyncio.open_unix_connection(sys.argv[1])
    w.write(b"hello from asyncio\n")
    print((await r.readline()).decode(), end="")
    w.close()
    await w.wait_closed()
asyncio.run(main())
`
		out, err := aio.ToThread(ctx, func(context.Context) ([]byte, error) {
			return exec.Command(py, "-c", script, path).CombinedOutput()
		})
		if err != nil || string(out) != "HELLO FROM ASYNCIO\n" {
			return fmt.Errorf("python3: %q, %v", out, err)
		}
		return nil
	})
}
