package aio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// Stdio says what a child's standard input, output or error is connected
// to (Python: the stdin, stdout and stderr arguments of
// create_subprocess_exec). The zero Stdio is Inherit.
type Stdio struct {
	kind stdioKind
	f    *os.File
}

type stdioKind uint8

const (
	stdioInherit stdioKind = iota
	stdioPipe
	stdioDevNull
	stdioStdout
	stdioFile
)

var (
	// Inherit gives the child the parent's own stream (Python: None, the
	// default).
	Inherit = Stdio{}
	// Pipe connects the stream to the parent through a pipe that the
	// loop's poller serves: the Process's Stdin, Stdout or Stderr
	// (Python: asyncio.subprocess.PIPE).
	Pipe = Stdio{kind: stdioPipe}
	// DevNull connects the stream to /dev/null (Python:
	// asyncio.subprocess.DEVNULL).
	DevNull = Stdio{kind: stdioDevNull}
	// ToStdout, for stderr only, sends the child's errors where its output
	// goes (Python: asyncio.subprocess.STDOUT).
	ToStdout = Stdio{kind: stdioStdout}
)

// StdioFile connects the stream to f, which stays the caller's: the child
// gets a duplicate, and the caller may close f once StartProcess returns
// (Python: passing a file object or an fd).
func StdioFile(f *os.File) Stdio { return Stdio{kind: stdioFile, f: f} }

// ProcessOption configures StartProcess and StartShell.
type ProcessOption func(*procConfig)

type procConfig struct {
	stdio      [3]Stdio
	dir        string
	env        []string
	envSet     bool
	killOnDone bool
	stream     []StreamOption
}

// WithStdin, WithStdout and WithStderr say what the child's standard
// streams are connected to (Inherit unless given).
func WithStdin(s Stdio) ProcessOption { return func(c *procConfig) { c.stdio[0] = s } }

// WithStdout: see WithStdin.
func WithStdout(s Stdio) ProcessOption { return func(c *procConfig) { c.stdio[1] = s } }

// WithStderr: see WithStdin. Only stderr may be ToStdout.
func WithStderr(s Stdio) ProcessOption { return func(c *procConfig) { c.stdio[2] = s } }

// WithDir runs the child in directory dir (Python: cwd=). A relative name
// with a slash is found from dir, as in os/exec.
func WithDir(dir string) ProcessOption { return func(c *procConfig) { c.dir = dir } }

// WithEnv gives the child env, "KEY=value" strings, as its whole
// environment (Python: env=); without it the child gets the parent's.
func WithEnv(env []string) ProcessOption {
	return func(c *procConfig) { c.env, c.envSet = env, true }
}

// WithKillOnCancel kills the child (SIGKILL) when the ctx given to
// StartProcess ends, cancelled or past its deadline, while the child still
// runs: exec.CommandContext's rule. A task's context ends when the task
// returns, so a child started with the ctx of a task lives at most as long
// as that task. asyncio has no such option, and without it the end of ctx
// leaves the child running: cancelling a task that waits for a child
// cancels the wait, not the child.
func WithKillOnCancel() ProcessOption { return func(c *procConfig) { c.killOnDone = true } }

// WithPipeOptions configures the streams of the piped standard streams
// (WithLimit: Python's limit=).
func WithPipeOptions(opts ...StreamOption) ProcessOption {
	return func(c *procConfig) { c.stream = append(c.stream, opts...) }
}

// Process is a child process started by StartProcess or StartShell
// (Python: asyncio.subprocess.Process). Its methods are safe from any
// goroutine; those that wait take a context and, as duet's primitives do,
// suspend a task or block a goroutine.
//
// Reaping. The loop reaps the child as soon as it exits, whether or not
// anyone waits or still holds the Process, so no exit leaves a zombie: on
// Linux (5.3 and later) through a pidfd the loop's poller watches, costing
// no thread; elsewhere, and on older kernels, a goroutine blocks in the
// system's wait for it (holding an OS thread while the child runs). When the loop closes while a child still runs, a goroutine
// takes over and reaps it when it exits, so a program that closes its loop
// and goes on leaves none either; one that exits leaves its children to
// init, as every Unix program does.
//
// The piped streams are the Process's until the program closes them; the
// loop closes what is left when it closes. Close Stdin to let a child that
// reads its input to the end finish; Communicate does all of it.
type Process struct {
	l      *Loop
	pid    int
	stdin  *Stream
	stdout *Stream
	stderr *Stream

	mu     sync.Mutex
	pidfd  int  // -1 when reaped, or when the system has none
	reaped bool // guarded by mu; Signal checks it with mu held, so a reaped pid is never signalled
	code   int  // the return code, once reaped
	exited duet.Event

	stopKill func() bool // WithKillOnCancel's AfterFunc
}

// PID returns the child's process ID (Python: Process.pid).
func (p *Process) PID() int { return p.pid }

// Stdin returns the stream to the child's standard input, or nil unless
// it was started WithStdin(Pipe) (Python: Process.stdin). Write to it and
// Close it; writes after the child closed its end fail with an error
// matching syscall.EPIPE.
func (p *Process) Stdin() *Stream { return p.stdin }

// Stdout returns the stream from the child's standard output, or nil
// unless it was started WithStdout(Pipe) (Python: Process.stdout). It is
// read-only (Write fails) and ends with io.EOF once every holder of the
// pipe's write end, the child and its own children, has closed it.
func (p *Process) Stdout() *Stream { return p.stdout }

// Stderr is Stdout for the child's standard error, piped with
// WithStderr(Pipe) (Python: Process.stderr).
func (p *Process) Stderr() *Stream { return p.stderr }

// ReturnCode returns the child's return code and true once it has exited
// and been reaped, or 0 and false while it runs (Python:
// Process.returncode, None while it runs). A child killed by a signal has
// the negated signal number, -9 for SIGKILL, as in Python. A child that
// something else in the program reaped (a wait4(-1) of its own) is
// reported as 255, as asyncio does.
func (p *Process) ReturnCode() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, p.reaped
}

// Wait waits for the child to exit and returns its return code (Python:
// await Process.wait()). It does not read the child's pipes: a child that
// fills a piped stdout nobody reads blocks forever, and so does Wait; use
// Communicate then. An end of ctx, or a cancellation of the waiting task,
// ends the wait with duet's usual errors and leaves the child running (see
// WithKillOnCancel).
func (p *Process) Wait(ctx context.Context) (int, error) {
	if ctx == nil {
		return 0, nilCtx("Process.Wait")
	}
	if err := p.exited.Wait(ctx); err != nil {
		return 0, err
	}
	code, _ := p.ReturnCode()
	return code, nil
}

// Communicate writes input to the child's stdin and closes it, reads its
// stdout and stderr to their ends, all at once, then waits for it to exit
// (Python: await Process.communicate(input)). It returns what was read
// from the piped streams (nil for one not piped); the return code is
// ReturnCode's. The reads go on while the input is written, so a child
// writing much to both streams before it reads never deadlocks with it. A
// child that exits or closes its stdin before taking all of input is not an
// error (the rest is dropped, as asyncio ignores BrokenPipeError).
//
// On a task of the child's loop the three jobs are tasks of that loop; on a
// goroutine they are goroutines. An end of ctx or a cancellation stops them
// all and returns duet's usual error; what was read is then dropped (as in
// asyncio), and the child runs on. input with no piped stdin is an error.
func (p *Process) Communicate(ctx context.Context, input []byte) (stdout, stderr []byte, err error) {
	if ctx == nil {
		return nil, nil, nilCtx("Process.Communicate")
	}
	if len(input) > 0 && p.stdin == nil {
		return nil, nil, errors.New("aio: Process.Communicate: input given, but the child's stdin is not a pipe: start it WithStdin(aio.Pipe)")
	}
	g, _ := duet.NewGroup(ctx)
	if p.stdin != nil {
		duet.Go(g, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, feedStdin(ctx, p.stdin, input)
		})
	}
	if p.stdout != nil {
		duet.Go(g, func(ctx context.Context) (b struct{}, err error) {
			stdout, err = readToEnd(ctx, p.stdout)
			return b, err
		})
	}
	if p.stderr != nil {
		duet.Go(g, func(ctx context.Context) (b struct{}, err error) {
			stderr, err = readToEnd(ctx, p.stderr)
			return b, err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if _, err := p.Wait(ctx); err != nil {
		return nil, nil, err
	}
	return stdout, stderr, nil
}

// feedStdin is Communicate's writer (asyncio's _feed_stdin): a child that
// stopped reading is not an error.
func feedStdin(ctx context.Context, s *Stream, input []byte) error {
	var err error
	if len(input) > 0 {
		if err = s.Write(ctx, input); err == nil {
			err = s.Drain(ctx)
		}
	}
	s.Close()
	switch {
	case err == nil, errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		return nil
	case errors.Is(err, duet.ErrCancelled), errors.Is(err, duet.ErrTimeout):
		return err
	}
	return fmt.Errorf("aio: Process.Communicate: writing the child's stdin: %w", err)
}

// readToEnd is Communicate's reader: the stream's bytes to io.EOF.
func readToEnd(ctx context.Context, s *Stream) ([]byte, error) {
	var out []byte
	for {
		b, err := s.Read(ctx, readSize)
		switch {
		case err == io.EOF:
			return out, nil
		case err != nil:
			return nil, err
		}
		if out == nil {
			out = b
		} else {
			out = append(out, b...)
		}
	}
}

// Signal sends sig to the child (Python: Process.send_signal). Once the
// child is reaped it returns os.ErrProcessDone and sends nothing: its pid
// may belong to another process by then. On Linux the signal goes through
// the child's pidfd.
func (p *Process) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("aio: Process.Signal(%v): not a syscall.Signal", sig)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return os.ErrProcessDone
	}
	if err := sendSignal(p.pid, p.pidfd, s); err != nil {
		return fmt.Errorf("aio: Process.Signal(%v) to pid %d: %w", sig, p.pid, err)
	}
	return nil
}

// Terminate sends SIGTERM (Python: Process.terminate).
func (p *Process) Terminate() error { return p.Signal(syscall.SIGTERM) }

// Kill sends SIGKILL (Python: Process.kill).
func (p *Process) Kill() error { return p.Signal(syscall.SIGKILL) }

// finishLocked records the child's return code; the caller holds mu and
// has just reaped it.
func (p *Process) finishLocked(code int) {
	p.reaped, p.code = true, code
	if p.stopKill != nil {
		p.stopKill()
	}
}

// StartProcess starts the program name with arguments args (argv[1:]) as
// a child of ctx's loop (Python: asyncio.create_subprocess_exec(name,
// *args)). A name without a slash is looked up in $PATH; a missing one
// gives an error that names it and matches exec.ErrNotFound, and a path
// that does not exist one matching fs.ErrNotExist. The child's standard
// streams are the parent's unless WithStdin, WithStdout or WithStderr say
// otherwise.
//
// From a task of the loop it starts the child at once; from any other
// goroutine holding a context of the loop it blocks while a task of the
// loop starts it. Starting never waits for the child. A ctx of no loop
// gives ErrNoLoop; a nil ctx an error matching duet.ErrNilContext.
func StartProcess(ctx context.Context, name string, args []string, opts ...ProcessOption) (*Process, error) {
	if ctx == nil {
		return nil, nilCtx("StartProcess")
	}
	l := loopFrom(ctx)
	if l == nil {
		return nil, ErrNoLoop
	}
	if name == "" {
		return nil, errors.New("aio: StartProcess: an empty program name")
	}
	var cfg procConfig
	for _, o := range opts {
		o(&cfg)
	}
	for i, s := range cfg.stdio {
		switch {
		case s.kind == stdioStdout && i != 2:
			return nil, fmt.Errorf("aio: StartProcess(%q): ToStdout is for stderr only (WithStderr(aio.ToStdout))", name)
		case s.kind == stdioFile && s.f == nil:
			return nil, fmt.Errorf("aio: StartProcess(%q): StdioFile(nil) for %s", name, stdioNames[i])
		}
	}
	start := func(context.Context) (*Process, error) { return l.startProcess(ctx, name, args, &cfg) }
	if t, ok := park.Current(ctx).(*task); ok && t.loop == l {
		return start(ctx)
	}
	return duet.Await(ctx, Spawn(ctx, start, WithName("aio.StartProcess "+name)))
}

// StartShell runs cmd with /bin/sh -c (Python:
// asyncio.create_subprocess_shell): the shell's quoting, globbing and
// redirections apply, so cmd must not carry untrusted text. Options and
// errors are StartProcess's; the Process is the shell's.
func StartShell(ctx context.Context, cmd string, opts ...ProcessOption) (*Process, error) {
	return StartProcess(ctx, "/bin/sh", []string{"-c", cmd}, opts...)
}

var stdioNames = [3]string{"stdin", "stdout", "stderr"}

// loopChildren is what a loop holds of the operating system's processes:
// the children it reaps through its poller and its signal handlers.
type loopChildren struct {
	procs map[*Process]struct{} // the loop's own

	sigMu    sync.Mutex
	signals  map[syscall.Signal]*sigEntry // guarded by sigMu
	noSigint bool                         // WithoutInterruptHandler
}

// closeChildren runs when the loop closes, its poller closed: the children
// it still watches are handed to goroutines that reap them (see Process),
// and its signal handlers are removed.
func (l *Loop) closeChildren() {
	for p := range l.children.procs {
		p.reapAfterClose()
	}
	l.children.procs = nil
	l.removeAllSignals()
}

// forgetProc drops a reaped child.
func (l *Loop) forgetProc(p *Process) { delete(l.children.procs, p) }
