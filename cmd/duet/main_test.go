package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// A compare run starts its own executable as the worker of each Go
	// model: under `go test` that is this test binary.
	if len(os.Args) > 1 && os.Args[1] == workerCmd {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

func compare(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(t.Context(), append([]string{"compare"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// Every Go model runs every workload it applies to, in a worker process,
// and does all the work: the table has a row for each with no error, and
// the report holds a chart per figure.
func TestCompareGoModels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, stdout, stderr := compare(t, "-quick", "-python", "none", "-models", "loop,loop+tothread,loops,pool,goroutines", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, w := range workloads {
		if !strings.Contains(stdout, "\n"+string(w)+": ") {
			t.Errorf("no %s section in\n%s", w, stdout)
		}
	}
	rows := 0
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !model(f[0]).applies(cpuBound) || !isGoModel(f[0]) {
			continue
		}
		rows++
		if strings.Contains(line, "errors") || strings.Contains(line, "failed") || f[1] == "-" {
			t.Errorf("row failed: %s", line)
		}
	}
	if want := 5 + 5 + 4; rows != want { // loop+tothread has no io row
		t.Errorf("%d Go rows, want %d:\n%s", rows, want, stdout)
	}
	if !strings.Contains(stdout, "report: "+out) {
		t.Errorf("report path not printed:\n%s", stdout)
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), "<svg"); n != len(workloads)*len(chartSpecs) {
		t.Errorf("report has %d charts, want %d", n, len(workloads)*len(chartSpecs))
	}
	// No network is needed to open it: nothing is loaded from elsewhere.
	for _, ref := range []string{"http://", "https://", "src="} {
		if i := strings.Index(string(html), ref); i >= 0 && !strings.HasPrefix(string(html[i:]), "http://www.w3.org/") {
			t.Errorf("report refers to %q: %.80s", ref, html[i:])
		}
	}
	// Progress went to stderr, a line per run when it is not a terminal.
	if n := strings.Count(stderr, "duet compare: "); n != 14 {
		t.Errorf("%d progress lines, want 14:\n%s", n, stderr)
	}
}

func isGoModel(s string) bool {
	for _, m := range goModels {
		if string(m) == s {
			return true
		}
	}
	return false
}

// The worker does exactly the operations asked, each timed.
func TestWorkerCountsOperations(t *testing.T) {
	srv, addr, err := startServer(0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, m := range goModels {
		for _, w := range workloads {
			if !m.applies(w) {
				continue
			}
			p := params{N: 17, Concurrency: 4, ChunkSize: 100, MixedChunk: 50, Workers: 3}
			var o bytes.Buffer
			if code := run(t.Context(), workerArgs(m, w, p, addr), &o, os.Stderr); code != 0 {
				t.Fatalf("%s %s: exit %d", m, w, code)
			}
			var s sample
			if err := json.Unmarshal(o.Bytes(), &s); err != nil {
				t.Fatalf("%s %s: %v: %s", m, w, err, o.String())
			}
			if runtime.GOOS == "linux" && s.PeakRSS < 1<<20 {
				t.Errorf("%s %s: peak RSS %d bytes, want the process's own (VmHWM, megabytes)", m, w, s.PeakRSS)
			}
			if s.Ops != 17 || s.Errors != 0 || len(s.Latencies) != 17 {
				t.Errorf("%s %s: %d ops, %d errors, %d latencies; want 17, 0, 17 (%s)", m, w, s.Ops, s.Errors, len(s.Latencies), s.FirstErr)
			}
		}
	}
	srv.Close()
}

// The CPython models run under the real interpreter and do the same work.
func TestComparePython(t *testing.T) {
	py := defaultPython()
	if _, err := exec.LookPath(py); err != nil {
		t.Skipf("no %s: the CPython models are skipped with a note (checked by TestCompareNoPython)", py)
	}
	out := filepath.Join(t.TempDir(), "r.html")
	code, stdout, stderr := compare(t, "-quick", "-models", "asyncio,threads,asyncio+to_thread", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (f[0] == "asyncio" || f[0] == "threads" || f[0] == "asyncio+to_thread") && f[1] == "-" {
			t.Errorf("row did not run: %s", line)
		}
	}
	if !strings.Contains(stdout, "CPython 3.") {
		t.Errorf("interpreter version not reported:\n%s", stdout)
	}
}

func TestCompareNoPython(t *testing.T) {
	code, stdout, stderr := compare(t, "-quick", "-models", "asyncio", "-workloads", "cpu",
		"-python", filepath.Join(t.TempDir(), "no-such-python"), "-out", filepath.Join(t.TempDir(), "r.html"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "skipped: ") || !strings.Contains(stdout, "no-such-python") {
		t.Errorf("missing interpreter not named in a skip note:\n%s", stdout)
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-models", "loop,trio"}, 2, `unknown name "trio" (known: loop, loop+tothread, loops, pool, goroutines, asyncio`},
		{[]string{"-workloads", "disk"}, 2, `-workloads: unknown name "disk" (known: io, cpu, mixed)`},
		{[]string{"-workloads", ","}, 2, "-workloads: empty list"},
		{[]string{"-requests", "0"}, 2, "-requests 0: need at least 1"},
		{[]string{"-concurrency", "-3"}, 2, "-concurrency -3: need at least 1"},
		{[]string{"-latency", "-1s"}, 2, "must not be negative"},
		{[]string{"-timeout", "0s"}, 2, "-timeout 0s: must be positive"},
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-quick", "-out", filepath.Join(dir, "missing", "r.html")}, 1, "cannot write the report"},
	} {
		code, _, stderr := compare(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("compare %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	var o, e bytes.Buffer
	if code := run(t.Context(), []string{"frobnicate"}, &o, &e); code != 2 || !strings.Contains(e.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, e.String())
	}
	if code := run(t.Context(), []string{"compare", "-h"}, &o, &e); code != 0 || !strings.Contains(e.String(), "usage: duet compare") {
		t.Errorf("compare -h: exit %d, %q", code, e.String())
	}
}

// duet ps and pstree print a running program's tasks from its Monitor.
func TestPSAndPSTree(t *testing.T) {
	m := inspect.NewMonitor()
	defer m.Close()
	srv := httptest.NewServer(http.StripPrefix("/debug/duet", m))
	defer srv.Close()
	stop := duet.NewFuture[struct{}]()
	err := aio.Run(t.Context(), func(ctx context.Context) error {
		aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			_, err := duet.Await(ctx, stop)
			return 0, err
		}, aio.WithName("waiter"))
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		outs := map[string]string{}
		done := make(chan error, 1)
		go func() {
			defer stop.SetResult(struct{}{})
			for _, cmd := range [][]string{{"ps"}, {"pstree"}, {"pstree", "-stacks"}} {
				var o, e bytes.Buffer
				if code := run(context.Background(), append(cmd, srv.URL+"/debug/duet"), &o, &e); code != 0 {
					done <- fmt.Errorf("duet %s: exit %d: %s", cmd, code, e.String())
					return
				}
				outs[strings.Join(cmd, " ")] = o.String()
			}
			done <- nil
		}()
		if _, err := duet.Await(ctx, stop); err != nil {
			return err
		}
		if err := <-done; err != nil {
			return err
		}
		if !strings.Contains(outs["ps"], "waiter") || !strings.Contains(outs["ps"], "waiting") || !strings.Contains(outs["ps"], "Await") {
			t.Errorf("duet ps:\n%s", outs["ps"])
		}
		if !strings.Contains(outs["pstree"], "└── waiter (task 2) waiting: Await") || strings.Contains(outs["pstree"], "goroutine ") {
			t.Errorf("duet pstree:\n%s", outs["pstree"])
		}
		if st := outs["pstree -stacks"]; !strings.Contains(st, "goroutine ") || !strings.Contains(st, "TestPSAndPSTree") {
			t.Errorf("duet pstree -stacks: no stack of the waiter:\n%s", st)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPSBadInput(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/debug/duet/"
	ln.Close()
	notDuet := httptest.NewServer(http.NotFoundHandler())
	defer notDuet.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ps"}, 2, "need exactly one URL"},
		{[]string{"pstree", "127.0.0.1:6060"}, 2, "is not an http(s) URL"},
		{[]string{"ps", closed}, 1, "cannot reach " + closed + "snapshot.json"},
		{[]string{"ps", notDuet.URL}, 1, "404 Not Found"},
	} {
		var o, e bytes.Buffer
		if code := run(t.Context(), tc.args, &o, &e); code != tc.code || !strings.Contains(e.String(), tc.want) {
			t.Errorf("duet %q: exit %d, %q; want exit %d and %q", tc.args, code, e.String(), tc.code, tc.want)
		}
	}
}
