// Command duet is duet's workbench: `duet compare` runs the same workloads
// under each concurrency model, duet's and CPython's, side by side, and
// reports what each costs.
//
//	duet compare [flags]     measure I/O-bound, CPU-bound and mixed work under each model
//	duet ps URL              the tasks of a program serving inspect.Monitor at URL
//	duet pstree URL          the same as a tree, with threads, pools and the advisor's flags
//	duet monitor URL         a live terminal view of those tasks, refreshed in place
//	duet help [command]      say how a command is used
//
// Run `duet compare -h` for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `duet: the workbench of the duet library (Python's asyncio and threading, in Go)

usage:
  duet compare [flags]   run I/O-bound, CPU-bound and mixed workloads under each model
                         (duet loop, loops per core, thread pool, goroutines, CPython
                         asyncio, threads, uvloop) and print and save the comparison
  duet ps URL            print the tasks of a program serving inspect.Monitor at URL
  duet pstree URL        the same as a tree, with threads, pools and the advisor's flags
  duet monitor URL       a live terminal view of those tasks, refreshed in place (q quits)
  duet help [command]    say how a command is used
`

// run is main without the process: it returns the exit status (0 done, 1
// failed, 2 misused) so that tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "compare":
		err = compareCmd(ctx, rest, stdout, stderr)
	case "monitor":
		err = monitorCmd(ctx, rest, stdout, stderr)
	case "ps", "pstree":
		err = psCmd(ctx, cmd, rest, stdout, stderr)
	case workerCmd:
		err = workerMain(ctx, rest, stdout)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && (rest[0] == "compare" || rest[0] == "ps" || rest[0] == "pstree" || rest[0] == "monitor") {
			return run(ctx, []string{rest[0], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "duet: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "duet %s: %v\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(stderr, "duet %s: %v\n", cmd, err)
		return 1
	}
}

// usageError is a misuse of the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
