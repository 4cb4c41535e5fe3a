package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duet-go/duet/inspect"
)

// fetchSnapshot reads a snapshot from an inspect.Monitor mounted at base
// (the URL the program serves the live page at).
func fetchSnapshot(ctx context.Context, base string, stacks bool) (inspect.Snapshot, error) {
	var s inspect.Snapshot
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, usageError{fmt.Errorf("%q is not an http(s) URL: give the address the program mounts inspect.Monitor at, e.g. http://127.0.0.1:6060/debug/duet/", base)}
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u = u.JoinPath("snapshot.json")
	if stacks {
		u.RawQuery = "stacks=1"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("cannot reach %s: %w (is the program running and serving inspect.Monitor there?)", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return s, fmt.Errorf("%s answered %s: %s (is inspect.Monitor mounted there?)", u, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("%s did not answer a duet snapshot: %w", u, err)
	}
	return s, nil
}

// psCmd is `duet ps URL` and `duet pstree URL`: one-shot prints of a
// running program's tasks (Python 3.14: python -m asyncio ps / pstree).
func psCmd(ctx context.Context, name string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stacks := fs.Bool("stacks", false, "with each task's stack (pstree)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: duet %s [-stacks] URL\n\nPrints the tasks of the program that serves inspect.Monitor at URL", name)
		if name == "pstree" {
			fmt.Fprint(stderr, " as a tree of who spawned whom, with what each waits on, its threads, pools and the advisor's flags.\n")
		} else {
			fmt.Fprint(stderr, ", one line each: loop, id, name, state, what it waits on, the task it awaits, steps, time on the loop.\n")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("need exactly one URL, got %d arguments", fs.NArg())}
	}
	s, err := fetchSnapshot(ctx, fs.Arg(0), *stacks)
	if err != nil {
		return err
	}
	if name == "pstree" {
		return s.WriteTree(stdout)
	}
	return s.WritePS(stdout)
}
