//go:build linux

package aio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// runReal runs main in aio.Run on the real clock (children run in real
// time) and fails the test on its error.
func runReal(t *testing.T, main func(ctx context.Context) error, opts ...aio.Option) {
	t.Helper()
	if err := aio.Run(context.Background(), main, opts...); err != nil {
		t.Fatal(err)
	}
}

// Communicate gives a child's output, and ReturnCode its exit status.
func TestProcessCommunicateOutput(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "sh", []string{"-c", "echo out; echo err >&2; exit 3"},
			aio.WithStdout(aio.Pipe), aio.WithStderr(aio.Pipe))
		if err != nil {
			return err
		}
		if p.Stdin() != nil {
			t.Error("Stdin() is not nil for a stdin that is not piped")
		}
		out, errb, err := p.Communicate(ctx, nil)
		if err != nil {
			return err
		}
		if string(out) != "out\n" || string(errb) != "err\n" {
			t.Errorf("Communicate = %q, %q; want %q, %q", out, errb, "out\n", "err\n")
		}
		if code, ok := p.ReturnCode(); !ok || code != 3 {
			t.Errorf("ReturnCode() = %d, %v; want 3, true", code, ok)
		}
		return nil
	})
}

// Input goes through cat and comes back whole; ToStdout merges stderr.
func TestProcessCommunicateInput(t *testing.T) {
	in := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartShell(ctx, "cat; echo tail >&2",
			aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe), aio.WithStderr(aio.ToStdout))
		if err != nil {
			return err
		}
		out, errb, err := p.Communicate(ctx, in)
		if err != nil {
			return err
		}
		want := append(append([]byte{}, in...), "tail\n"...)
		if !bytes.Equal(out, want) || errb != nil {
			t.Errorf("Communicate: %d bytes of stdout (want %d, equal %v), stderr %q", len(out), len(want), bytes.Equal(out, want), errb)
		}
		return nil
	})
}

// A child writing 100 MB to stdout and to stderr at once, before reading
// anything, does not deadlock Communicate, which reads both as it writes.
func TestProcessCommunicateLargeBothStreams(t *testing.T) {
	const n = 100_000_000
	runReal(t, func(ctx context.Context) error {
		cmd := fmt.Sprintf("head -c %d /dev/zero & head -c %d /dev/zero >&2; wait; cat >/dev/null", n, n)
		p, err := aio.StartShell(ctx, cmd, aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe), aio.WithStderr(aio.Pipe))
		if err != nil {
			return err
		}
		out, errb, err := p.Communicate(ctx, bytes.Repeat([]byte{'x'}, 1<<20))
		if err != nil {
			return err
		}
		if len(out) != n || len(errb) != n {
			t.Errorf("Communicate read %d and %d bytes; want %d each", len(out), len(errb), n)
		}
		return nil
	})
}

// A child that exits at once, and one that never reads its stdin but
// writes a lot, each take a large input without an error or a deadlock.
func TestProcessChildIgnoresInput(t *testing.T) {
	in := bytes.Repeat([]byte{'y'}, 8<<20)
	runReal(t, func(ctx context.Context) error {
		early, err := aio.StartShell(ctx, "exit 7", aio.WithStdin(aio.Pipe))
		if err != nil {
			return err
		}
		if _, _, err := early.Communicate(ctx, in); err != nil {
			t.Errorf("Communicate to a child that exits at once: %v", err)
		}
		if code, _ := early.ReturnCode(); code != 7 {
			t.Errorf("ReturnCode() = %d; want 7", code)
		}
		deaf, err := aio.StartProcess(ctx, "python3", []string{"-c", "import sys; sys.stdout.write('z' * 3000000)"},
			aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe))
		if err != nil {
			return err
		}
		out, _, err := deaf.Communicate(ctx, in)
		if err != nil {
			t.Errorf("Communicate to a child that never reads: %v", err)
		}
		if len(out) != 3000000 {
			t.Errorf("read %d bytes from the child that never reads; want 3000000", len(out))
		}
		if code, _ := deaf.ReturnCode(); code != 0 {
			t.Errorf("ReturnCode() = %d; want 0", code)
		}
		return nil
	})
}

// The streams work line by line while the child runs: a conversation.
func TestProcessStreamsConversation(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "python3", []string{"-u", "-c", "import sys\nfor l in sys.stdin: print(l.strip().upper())"},
			aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe))
		if err != nil {
			return err
		}
		for _, w := range []string{"one", "two"} {
			if err := p.Stdin().Write(ctx, []byte(w+"\n")); err != nil {
				return err
			}
			line, err := p.Stdout().ReadLine(ctx)
			if err != nil {
				return err
			}
			if got := string(line); got != strings.ToUpper(w)+"\n" {
				t.Errorf("ReadLine = %q; want %q", got, strings.ToUpper(w)+"\n")
			}
		}
		if err := p.Stdout().Write(ctx, []byte("x")); err == nil {
			t.Error("Write to the child's stdout succeeded")
		}
		p.Stdin().Close()
		code, err := p.Wait(ctx)
		if err != nil || code != 0 {
			t.Errorf("Wait = %d, %v; want 0, nil", code, err)
		}
		if _, err := p.Stdout().Read(ctx, 10); err == nil {
			t.Error("Read after the child's end: no io.EOF")
		}
		return nil
	})
}

// A missing program is a clear error naming it, matching exec.ErrNotFound
// or fs.ErrNotExist; so is a bad option.
func TestProcessBadInput(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "true", nil)
		if err != nil {
			return err
		}
		if _, _, err := p.Communicate(ctx, []byte("x")); err == nil || !strings.Contains(err.Error(), "WithStdin(aio.Pipe)") {
			t.Errorf("Communicate with input and no stdin pipe: %v", err)
		}
		if _, err := p.Wait(ctx); err != nil {
			return err
		}
		before := openFDs(t) // the loop's poller is made by now
		_, err = aio.StartProcess(ctx, "duet-no-such-program", nil, aio.WithStdout(aio.Pipe))
		if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(fmt.Sprint(err), "duet-no-such-program") {
			t.Errorf("missing program in $PATH: %v; want exec.ErrNotFound naming it", err)
		}
		_, err = aio.StartProcess(ctx, "/no/such/dir/prog", nil, aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(fmt.Sprint(err), "/no/such/dir/prog") {
			t.Errorf("missing path: %v; want fs.ErrNotExist naming it", err)
		}
		if _, err := aio.StartProcess(ctx, "true", nil, aio.WithStdout(aio.ToStdout)); err == nil || !strings.Contains(err.Error(), "stderr only") {
			t.Errorf("ToStdout for stdout: %v; want an error saying it is for stderr", err)
		}
		if after := openFDs(t); after != before {
			t.Errorf("open fds: %d before, %d after the failed starts", before, after)
		}
		return nil
	})
}

// Kill and Terminate give negative return codes; a reaped child is not
// signalled.
func TestProcessSignals(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		for _, c := range []struct {
			send func(*aio.Process) error
			want int
		}{{(*aio.Process).Kill, -9}, {(*aio.Process).Terminate, -15}} {
			p, err := aio.StartProcess(ctx, "sleep", []string{"100"})
			if err != nil {
				return err
			}
			if err := c.send(p); err != nil {
				return err
			}
			code, err := p.Wait(ctx)
			if err != nil || code != c.want {
				t.Errorf("Wait = %d, %v; want %d", code, err, c.want)
			}
			if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("Signal after the reap: %v; want os.ErrProcessDone", err)
			}
		}
		return nil
	})
}

// A cancelled Wait or Communicate leaves the child running;
// WithKillOnCancel kills it when the ctx given to StartProcess ends.
func TestProcessCancelWait(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "sleep", []string{"100"})
		if err != nil {
			return err
		}
		err = duet.WithTimeout(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			_, err := p.Wait(ctx)
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			t.Errorf("Wait under a timeout: %v; want ErrTimeout", err)
		}
		if _, done := p.ReturnCode(); done {
			t.Error("the child ended with the wait")
		}
		p.Kill()
		if _, err := p.Wait(ctx); err != nil {
			return err
		}

		c, err := aio.StartShell(ctx, "echo partial; exec sleep 100", aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe))
		if err != nil {
			return err
		}
		err = duet.WithTimeout(ctx, 50*time.Millisecond, func(ctx context.Context) error {
			_, _, err := c.Communicate(ctx, []byte("in"))
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			t.Errorf("Communicate under a timeout: %v; want ErrTimeout", err)
		}
		if _, done := c.ReturnCode(); done {
			t.Error("the child ended with the Communicate")
		}
		c.Kill()
		if code, err := c.Wait(ctx); err != nil || code != -9 {
			t.Errorf("Wait after Kill = %d, %v", code, err)
		}

		kctx, cancel := context.WithCancel(ctx)
		defer cancel()
		k, err := aio.StartProcess(kctx, "sleep", []string{"100"}, aio.WithKillOnCancel())
		if err != nil {
			return err
		}
		cancel()
		if code, err := k.Wait(ctx); err != nil || code != -9 {
			t.Errorf("WithKillOnCancel: Wait = %d, %v; want -9", code, err)
		}
		return nil
	})
}

// StartProcess and Communicate from a goroutine block, with the loop
// doing the work.
func TestProcessFromGoroutine(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		l := aio.LoopOf(ctx)
		f := duet.NewFuture[string]()
		go func() {
			p, err := aio.StartProcess(l.Context(), "echo", []string{"from", "goroutine"}, aio.WithStdout(aio.Pipe))
			if err != nil {
				f.SetError(err)
				return
			}
			out, _, err := p.Communicate(context.Background(), nil)
			if err != nil {
				f.SetError(err)
				return
			}
			f.SetResult(string(out))
		}()
		got, err := duet.Await(ctx, f)
		if err != nil {
			return err
		}
		if got != "from goroutine\n" {
			t.Errorf("output %q", got)
		}
		return nil
	})
}

// zombie reports whether pid is a zombie child.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

// waitReaped waits, in real time, until pid is not a zombie; it fails
// after a generous bound, since reaping is asynchronous by design.
func waitReaped(t *testing.T, pid int) {
	t.Helper()
	for i := 0; zombie(pid) || exists(pid); i++ {
		if i == 2000 {
			t.Fatalf("pid %d is still there after 20 s (zombie: %v)", pid, zombie(pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exists(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// A child the program drops is reaped when it exits, while the loop runs
// and after it has closed.
func TestProcessDroppedIsReaped(t *testing.T) {
	var running *aio.Process
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "true", nil)
		if err != nil {
			return err
		}
		for zombie(p.PID()) || exists(p.PID()) {
			duet.Sleep(ctx, 5*time.Millisecond) // the loop reaps it meanwhile
		}
		running, err = aio.StartShell(ctx, "read x", aio.WithStdin(aio.Pipe))
		return err
	})
	// The loop is closed (its pipes with it: the shell reads EOF and
	// exits); a goroutine reaps it.
	waitReaped(t, running.PID())
	if code, err := running.Wait(context.Background()); err != nil || code != 1 {
		t.Errorf("Wait after the loop closed = %d, %v; want 1 (read at EOF)", code, err)
	}
}

// The fallback reaper (a goroutine in waitid, where there is no pidfd)
// serves Wait and Communicate the same way.
func TestProcessFallbackReaper(t *testing.T) {
	defer aio.SetNoPidfdForTest()()
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartProcess(ctx, "sh", []string{"-c", "echo hi; exit 4"}, aio.WithStdout(aio.Pipe))
		if err != nil {
			return err
		}
		out, _, err := p.Communicate(ctx, nil)
		if code, _ := p.ReturnCode(); err != nil || string(out) != "hi\n" || code != 4 {
			t.Errorf("Communicate = %q, %v, code %d", out, err, code)
		}
		k, err := aio.StartProcess(ctx, "sleep", []string{"100"})
		if err != nil {
			return err
		}
		k.Kill()
		if code, err := k.Wait(ctx); err != nil || code != -9 {
			t.Errorf("Wait = %d, %v; want -9", code, err)
		}
		return nil
	})
}

// 1,000 children, started 50 at a time with a piped stdout each, are all
// reaped, and no descriptor is left open.
func TestProcessThousandNoLeak(t *testing.T) {
	const total, batch = 1000, 50
	before := openFDs(t)
	var pids []int
	runReal(t, func(ctx context.Context) error {
		for i := 0; i < total; i += batch {
			var ps []*aio.Process
			for j := range batch {
				p, err := aio.StartProcess(ctx, "echo", []string{fmt.Sprint(i + j)}, aio.WithStdout(aio.Pipe))
				if err != nil {
					return err
				}
				ps = append(ps, p)
				pids = append(pids, p.PID())
			}
			for j, p := range ps {
				out, _, err := p.Communicate(ctx, nil)
				if err != nil {
					return err
				}
				if want := fmt.Sprintf("%d\n", i+j); string(out) != want {
					t.Fatalf("child %d printed %q", i+j, out)
				}
			}
		}
		return nil
	})
	for _, pid := range pids {
		if zombie(pid) {
			t.Fatalf("pid %d is a zombie", pid)
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// The SIGINT helper: run by TestRunSigint as a child test binary.
func TestRunSigintHelper(t *testing.T) {
	mode := os.Getenv("DUET_SIGINT_HELPER")
	if mode == "" {
		t.Skip("run by TestRunSigint")
	}
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		fmt.Println("ready")
		for {
			err := duet.Sleep(ctx, time.Hour)
			if mode == "blocked" {
				fmt.Println("cancelled, blocking the loop")
				time.Sleep(time.Hour) // a step that never ends: only the signal's own goroutine can act
			}
			if mode == "stubborn" {
				fmt.Println("cancelled, going on")
				if me, ok := aio.CurrentTask(ctx); ok {
					me.Uncancel()
				}
				continue
			}
			return err
		}
	})
	fmt.Printf("interrupted=%v cancelled=%v\n", errors.Is(err, aio.ErrInterrupted), errors.Is(err, duet.ErrCancelled))
}

// Run cancels main on SIGINT and returns ErrInterrupted; a second SIGINT
// ends the program at once, when main swallows the first and when a
// blocking step holds the loop.
func TestRunSigint(t *testing.T) {
	runReal(t, func(ctx context.Context) error {
		for _, mode := range []string{"plain", "stubborn", "blocked"} {
			p, err := aio.StartProcess(ctx, os.Args[0], []string{"-test.run=^TestRunSigintHelper$", "-test.count=1"},
				aio.WithStdout(aio.Pipe), aio.WithEnv(append(os.Environ(), "DUET_SIGINT_HELPER="+mode)))
			if err != nil {
				return err
			}
			line, err := p.Stdout().ReadLine(ctx)
			if err != nil || string(line) != "ready\n" {
				t.Fatalf("%s: first line %q, %v", mode, line, err)
			}
			p.Signal(os.Interrupt)
			if mode != "plain" {
				line, err := p.Stdout().ReadLine(ctx)
				if err != nil || !strings.HasPrefix(string(line), "cancelled") {
					t.Fatalf("%s: line %q, %v", mode, line, err)
				}
				p.Signal(os.Interrupt)
			}
			out, _, err := p.Communicate(ctx, nil)
			if err != nil {
				return err
			}
			code, _ := p.ReturnCode()
			switch mode {
			case "plain":
				if !bytes.Contains(out, []byte("interrupted=true cancelled=true")) || code != 0 {
					t.Errorf("plain: code %d, output %q", code, out)
				}
			default:
				if code != -int(syscall.SIGINT) {
					t.Errorf("%s: code %d (want -2: killed by the second SIGINT), output %q", mode, code, out)
				}
			}
		}
		return nil
	})
}

// DevNull, StdioFile, WithDir and WithEnv reach the child; a write to a
// stdin the child has closed fails with EPIPE.
func TestProcessStdioOptions(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runReal(t, func(ctx context.Context) error {
		p, err := aio.StartShell(ctx, `read x; echo "[$x] $(pwd) $DUET_V"; echo e >&2`,
			aio.WithStdin(aio.DevNull), aio.WithStdout(aio.StdioFile(f)), aio.WithStderr(aio.DevNull),
			aio.WithDir(dir), aio.WithEnv([]string{"DUET_V=v1", "PATH=" + os.Getenv("PATH")}))
		if err != nil {
			return err
		}
		if p.Stdin() != nil || p.Stdout() != nil || p.Stderr() != nil {
			t.Error("a stream that is not piped has a Stream")
		}
		if code, err := p.Wait(ctx); err != nil || code != 0 {
			t.Errorf("Wait = %d, %v; want 0", code, err)
		}
		got, _ := os.ReadFile(dir + "/out")
		if want := "[] " + dir + " v1\n"; string(got) != want {
			t.Errorf("the child wrote %q; want %q", got, want)
		}

		c, err := aio.StartShell(ctx, "exec 0<&-; echo closed", aio.WithStdin(aio.Pipe), aio.WithStdout(aio.Pipe))
		if err != nil {
			return err
		}
		if line, err := c.Stdout().ReadLine(ctx); err != nil || string(line) != "closed\n" {
			t.Fatalf("ReadLine = %q, %v", line, err)
		}
		if _, err := c.Wait(ctx); err != nil {
			return err
		}
		big := make([]byte, 1<<20)
		err = c.Stdin().Write(ctx, big)
		if err == nil {
			err = c.Stdin().Drain(ctx)
		}
		if !errors.Is(err, syscall.EPIPE) {
			t.Errorf("writing to a closed stdin: %v; want EPIPE", err)
		}
		c.Stdin().Close()
		return nil
	})
}
