package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed python/compare.py
var comparePy []byte

// config is a compare run: what to run and how big.
type config struct {
	workloads []workload
	models    []model
	requests  int // operations of the io workload
	chunks    int // of the cpu workload
	items     int // of the mixed workload
	params    params
	python    string // interpreter, "" for none
	out       string // the HTML report's path
	timeout   time.Duration
}

func (c config) paramsFor(w workload) params {
	p := c.params
	switch w {
	case ioBound:
		p.N = c.requests
	case cpuBound:
		p.N = c.chunks
	default:
		p.N = c.items
	}
	return p
}

func defaultPython() string {
	// Debian's interpreter first: python3-uvloop is installed for it.
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

func parseCompare(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: duet compare [flags]

Runs each workload under each model, every run in a process of its own
against one in-process HTTP server, prints a table of wall time,
throughput, CPU time, peak memory and latency with a verdict per row, and
writes a self-contained HTML report with charts.

workloads: %s
models:    %s (Go), %s (CPython, when the interpreter is found)

flags:
`, joinNames(workloads), joinNames(goModels), joinNames(pyModels))
		fs.PrintDefaults()
	}
	var c config
	wl := fs.String("workloads", "io,cpu,mixed", "comma-separated workloads to run")
	ml := fs.String("models", allModelsTag, "comma-separated models to run, or all")
	fs.IntVar(&c.requests, "requests", 2000, "HTTP requests of the io workload")
	fs.IntVar(&c.chunks, "chunks", 32, "chunks of computation of the cpu workload")
	fs.IntVar(&c.items, "items", 400, "items (request, then chunk) of the mixed workload")
	fs.IntVar(&c.params.Concurrency, "concurrency", 100, "requests in flight at once (io, mixed)")
	fs.DurationVar(&c.params.Latency, "latency", 20*time.Millisecond, "the server's delay before each answer")
	fs.IntVar(&c.params.ChunkSize, "chunk", 10000, "numbers tested for primality per chunk (cpu)")
	fs.IntVar(&c.params.MixedChunk, "mixed-chunk", 1000, "numbers per chunk of the mixed workload")
	fs.IntVar(&c.params.Workers, "workers", runtime.GOMAXPROCS(0), "threads of CPU pools and loops of the loops model")
	fs.StringVar(&c.python, "python", defaultPython(), `CPython interpreter for the CPython models ("" or none to skip them)`)
	fs.StringVar(&c.out, "out", "", "HTML report path (default duet-compare-TIME.html in the temporary directory)")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Minute, "limit for one run; a run past it is stopped and reported")
	quick := fs.Bool("quick", false, "tiny sizes: checks that everything runs, measures nothing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q (flags only; see duet compare -h)", fs.Arg(0))}
	}
	if *quick {
		c.requests, c.chunks, c.items = 100, 8, 40
		c.params.Concurrency, c.params.Latency = 10, 2*time.Millisecond
		c.params.ChunkSize, c.params.MixedChunk = 1000, 200
	}
	var err error
	if c.workloads, err = parseNames(*wl, "-workloads", workloads, ""); err != nil {
		return c, usageError{err}
	}
	all := append(slices.Clone(goModels), pyModels...)
	if c.models, err = parseNames(*ml, "-models", all, allModelsTag); err != nil {
		return c, usageError{err}
	}
	for _, n := range []struct {
		flag string
		v    int
	}{{"-requests", c.requests}, {"-chunks", c.chunks}, {"-items", c.items}} {
		if n.v < 1 {
			return c, usageError{fmt.Errorf("%s %d: need at least 1", n.flag, n.v)}
		}
	}
	c.params.N = 1
	if err := c.params.validate(); err != nil {
		return c, usageError{err}
	}
	if c.timeout <= 0 {
		return c, usageError{fmt.Errorf("-timeout %v: must be positive", c.timeout)}
	}
	if c.python == "none" {
		c.python = ""
	}
	if c.out == "" {
		c.out = filepath.Join(os.TempDir(), "duet-compare-"+time.Now().Format("20060102-150405")+".html")
	}
	return c, nil
}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// parseNames parses a comma-separated list of names, each one of valid (or
// the single name all, meaning every one of them).
func parseNames[T ~string](list, flagName string, valid []T, all string) ([]T, error) {
	if all != "" && list == all {
		return slices.Clone(valid), nil
	}
	var out []T
	for f := range strings.SplitSeq(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(valid, T(f)) {
			return nil, fmt.Errorf("%s: unknown name %q (known: %s)", flagName, f, joinNames(valid))
		}
		if !slices.Contains(out, T(f)) {
			out = append(out, T(f))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty list (known: %s)", flagName, joinNames(valid))
	}
	return out, nil
}

// result is one row of the table.
type result struct {
	Workload workload `json:"workload"`
	Model    model    `json:"model"`
	Skipped  string   `json:"skipped,omitempty"` // why the run did not happen or failed
	sample
	P50, P99 float64
	Verdict  string `json:"verdict"`
}

func (r result) throughput() float64 {
	if r.WallS <= 0 {
		return 0
	}
	return float64(r.Ops) / r.WallS
}

// cores is how many cores the run kept busy on average.
func (r result) cores() float64 {
	if r.WallS <= 0 {
		return 0
	}
	return r.CPUS / r.WallS
}

func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseCompare(args, stderr)
	if err != nil {
		return err
	}
	// Refuse a report path that cannot be written before minutes of work.
	f, err := os.OpenFile(c.out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the report: %w (choose another path with -out)", err)
	}
	f.Close()

	env, err := probeEnv(ctx, c)
	if env.script != "" {
		defer os.RemoveAll(filepath.Dir(env.script)) // compare.py's temporary directory
	}
	if err != nil {
		return err
	}
	srv, addr, err := startServer(c.params.Latency)
	if err != nil {
		return err
	}
	defer srv.Close()

	type plannedRun struct {
		w workload
		m model
	}
	var plan []plannedRun
	for _, w := range c.workloads {
		for _, m := range c.models {
			if m.applies(w) {
				plan = append(plan, plannedRun{w, m})
			}
		}
	}
	bar := newProgress(stderr, len(plan))
	var results []result
	for _, r := range plan {
		bar.begin(fmt.Sprintf("%-5s %-17s", r.w, r.m))
		res := runOne(ctx, c, env, r.w, r.m, addr)
		results = append(results, res)
		bar.end()
		if ctx.Err() != nil {
			break
		}
	}
	bar.finish()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	printTable(stdout, c, env, results)
	if err := writeReport(c.out, c, env, results); err != nil {
		return fmt.Errorf("cannot write the report: %w (choose another path with -out)", err)
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", c.out)
	return nil
}

// env is what the report says of the machine and the peers.
type env struct {
	GoVersion string
	CPUs      int
	OS        string
	Python    string // version, "" when the CPython models are skipped
	PyNote    string // why they are skipped
	Uvloop    bool
	UvNote    string
	script    string // compare.py written out for the interpreter
}

func probeEnv(ctx context.Context, c config) (env, error) {
	e := env{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	wantPy := slices.ContainsFunc(c.models, model.python)
	if !wantPy {
		return e, nil
	}
	if c.python == "" {
		e.PyNote = "skipped: -python none"
		return e, nil
	}
	out, err := exec.CommandContext(ctx, c.python, "-c", "import sys; print(sys.version.split()[0])").Output()
	if err != nil {
		e.PyNote = fmt.Sprintf("skipped: %s not runnable (%v); install python3 or pass -python", c.python, err)
		return e, nil
	}
	e.Python = strings.TrimSpace(string(out))
	if err := exec.CommandContext(ctx, c.python, "-c", "import uvloop").Run(); err == nil {
		e.Uvloop = true
	} else {
		e.UvNote = "skipped: uvloop not importable by " + c.python + " (Debian: apt install python3-uvloop)"
	}
	dir, err := os.MkdirTemp("", "duet-compare-")
	if err != nil {
		return e, err
	}
	e.script = filepath.Join(dir, "compare.py")
	return e, os.WriteFile(e.script, comparePy, 0o644)
}

// startServer starts the HTTP server every model's requests go to: it
// answers each GET after latency with a small fixed body, keeping
// connections alive.
func startServer(latency time.Duration) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("cannot listen on 127.0.0.1 for the workload server: %w", err)
	}
	body := bytes.Repeat([]byte("x"), 63)
	body = append(body, '\n')
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if latency > 0 {
				t := time.NewTimer(latency)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	return srv, ln.Addr().String(), nil
}

// runOne runs model m of workload w in a process of its own.
func runOne(ctx context.Context, c config, e env, w workload, m model, addr string) result {
	r := result{Workload: w, Model: m}
	p := c.paramsFor(w)
	var cmd *exec.Cmd
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	switch {
	case !m.python():
		exe, err := os.Executable()
		if err != nil {
			r.Skipped = "cannot find this program's executable: " + err.Error()
			return r
		}
		cmd = exec.CommandContext(ctx, exe, workerArgs(m, w, p, addr)...)
	case e.Python == "":
		r.Skipped = e.PyNote
		return r
	case m == pyUvloop && !e.Uvloop:
		r.Skipped = e.UvNote
		return r
	default:
		cmd = exec.CommandContext(ctx, c.python, e.script, "--model", string(m), "--workload", string(w),
			"--addr", addr, "--n", itoa(p.N), "--concurrency", itoa(p.Concurrency),
			"--chunk", itoa(p.ChunkSize), "--mixed-chunk", itoa(p.MixedChunk), "--workers", itoa(p.Workers))
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		r.Skipped = fmt.Sprintf("stopped after -timeout %v", c.timeout)
		return r
	}
	if err != nil {
		r.Skipped = fmt.Sprintf("failed: %v: %s", err, lastLine(errb.String()))
		return r
	}
	if err := json.Unmarshal(out.Bytes(), &r.sample); err != nil {
		r.Skipped = fmt.Sprintf("unreadable result (%v): %s", err, lastLine(out.String()+errb.String()))
		return r
	}
	ps := cmd.ProcessState
	if r.CPUS == 0 { // the worker could not measure its own
		r.CPUS = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if r.PeakRSS == 0 {
		r.PeakRSS = peakRSS(ps)
	}
	r.P50, r.P99 = percentile(r.Latencies, 50), percentile(r.Latencies, 99)
	r.Verdict = verdict(r, p)
	return r
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// percentile returns the q-th percentile of xs (nearest rank), 0 for none.
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*q/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
