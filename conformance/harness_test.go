package conformance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// scenario is the Go twin of py/NAME.py: fn runs as the main task of a
// fresh loop on a virtual clock and logs its trace to tr. An error it
// returns is logged as "main raised <kind>", as the Python runner logs an
// exception that escapes main.
type scenario struct {
	name string
	fn   func(ctx context.Context, tr *Trace) error
}

var registry = map[string]scenario{}

// register adds a scenario; the scenario files call it from init.
func register(name string, fn func(ctx context.Context, tr *Trace) error) {
	if _, dup := registry[name]; dup {
		panic("conformance: scenario registered twice: " + name)
	}
	registry[name] = scenario{name: name, fn: fn}
}

// Err is the error scenarios fail with on purpose (Python: harness.Err).
type Err struct{ Msg string }

func (e *Err) Error() string { return "Err(" + e.Msg + ")" }

// Trace records a scenario's lines. Tasks of one loop never run at the
// same time, but goroutine scenarios may log from several goroutines.
type Trace struct {
	mu    sync.Mutex
	lines []string
	clock *aio.VirtualClock
	t0    time.Time
}

// Log appends a line: the loop time since the start in milliseconds, then
// the parts formatted by fmtVal and separated by spaces.
func (tr *Trace) Log(parts ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, tr.stamp()+joinVals(parts))
}

func (tr *Trace) stamp() string {
	ms := float64(tr.clock.Now().Sub(tr.t0)) / float64(time.Millisecond)
	if realClock() {
		ms = math.Round(ms/10) * 10
	}
	return strconv.FormatInt(int64(math.Round(ms)), 10) + "ms "
}

func (tr *Trace) snapshot() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.lines...)
}

func realClock() bool { return os.Getenv("CONFORMANCE_REAL_CLOCK") == "1" }

func joinVals(parts []any) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmtVal(p)
	}
	return strings.Join(s, " ")
}

// fmtVal formats a value as py/harness.py's fmt does.
func fmtVal(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case error:
		return kind(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		s := make([]string, rv.Len())
		for i := range s {
			s[i] = fmtVal(rv.Index(i).Interface())
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	return fmt.Sprint(v)
}

// kind names an error as py/harness.py's kind names the Python exception
// it corresponds to.
func kind(err error) string {
	if err == nil {
		return "nil"
	}
	var e *Err
	if errors.As(err, &e) && !isGroup(err) {
		return "Err(" + e.Msg + ")"
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok && !annotated(m.Unwrap()) {
		var s []string
		for _, x := range m.Unwrap() {
			s = append(s, kind(x))
		}
		return "Group[" + strings.Join(s, " ") + "]"
	}
	if k := primitiveKind(err); k != "" {
		return k
	}
	switch {
	case errors.Is(err, duet.ErrTimeout):
		return "Timeout"
	case errors.Is(err, duet.ErrCancelled):
		var ce *duet.CancelledError
		if errors.As(err, &ce) && ce.Msg != "" {
			return "Cancelled(" + ce.Msg + ")"
		}
		return "Cancelled"
	case errors.Is(err, duet.ErrInvalidState):
		return "InvalidState"
	}
	return fmt.Sprintf("%T(%v)", err, err)
}

// annotated reports whether errs is a sentinel joined with a message that
// explains it (errors.Join(duet.ErrInvalidState, errors.New("...")), a
// pattern of duet's) rather than a group of errors.
func annotated(errs []error) bool {
	for _, e := range errs {
		for _, s := range sentinels {
			if e == s {
				return true
			}
		}
	}
	return false
}

var sentinels = []error{duet.ErrCancelled, duet.ErrTimeout, duet.ErrInvalidState, duet.ErrClosed}

func isGroup(err error) bool {
	m, ok := err.(interface{ Unwrap() []error })
	return ok && !annotated(m.Unwrap())
}

// loopOf returns the loop a task's context belongs to (Python:
// asyncio.get_running_loop()), failing loudly where there is none.
func loopOf(ctx context.Context) *aio.Loop {
	l := aio.LoopOf(ctx)
	if l == nil {
		panic("conformance: context belongs to no loop")
	}
	return l
}

// hangAfter bounds a Go scenario's real running time: the virtual clock
// makes every scenario instant, so this only catches a deadlock.
const hangAfter = 20 * time.Second

// runGo runs sc's Go side as aio.Run's main task on a virtual clock.
func runGo(t *testing.T, sc scenario) []string {
	vc := aio.NewVirtualClock()
	tr := &Trace{clock: vc, t0: vc.Now()}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic outside the loop: %v", r)
			}
		}()
		done <- aio.Run(context.Background(), func(ctx context.Context) error {
			return sc.fn(ctx, tr)
		}, aio.WithClock(vc), aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
			t.Logf("%s: loop exception handler: %s %v", sc.name, ec.Message, ec.Err)
		}))
	}()
	select {
	case err := <-done:
		if err != nil {
			tr.Log("main raised", err)
		}
	case <-time.After(hangAfter):
		t.Fatalf("%s: the duet side did not finish within %v (deadlock?); trace so far:\n%s",
			sc.name, hangAfter, strings.Join(tr.snapshot(), "\n"))
	}
	return tr.snapshot()
}

// pyResult is what the Python runner printed for one scenario.
type pyResult struct {
	lines   []string
	skipped string // why the interpreter could not run it
}

// runPython runs the named scenarios in one interpreter process.
func runPython(t *testing.T, python string, names []string) (version string, out map[string]*pyResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"-B", "-X", "utf8", "runner.py"}, names...)...)
	cmd.Dir = "py"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s py/runner.py failed: %v\nstderr:\n%s", python, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("python stderr:\n%s", stderr.String())
	}
	out = map[string]*pyResult{}
	var cur *pyResult
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== PYTHON "):
			version = strings.TrimPrefix(line, "=== PYTHON ")
		case line == "=== TOO OLD":
			return version, nil
		case line == "=== END":
			cur = nil
		case strings.HasPrefix(line, "=== SKIP "):
			cur.skipped = strings.TrimPrefix(line, "=== SKIP ")
			cur = nil
		case strings.HasPrefix(line, "=== "):
			cur = &pyResult{lines: []string{}}
			out[strings.TrimPrefix(line, "=== ")] = cur
		case cur != nil:
			cur.lines = append(cur.lines, line)
		default:
			t.Fatalf("py/runner.py: unexpected output line %q", line)
		}
	}
	return version, out
}

// pythonScenarios lists py/*.py except the harness and the runner.
func pythonScenarios(t *testing.T) []string {
	files, err := filepath.Glob("py/*.py")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".py")
		if n != "harness" && n != "runner" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func readExpected(name string) ([]string, bool) {
	b, err := os.ReadFile(filepath.Join("py", name+".expected"))
	if err != nil {
		return nil, false
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			continue // a comment: where the expectation comes from
		}
		lines = append(lines, l)
	}
	return lines, true
}

// TestScenarioPairs checks that every Python scenario has a Go twin and the
// other way round, and that knownDiffs names real scenarios.
func TestScenarioPairs(t *testing.T) {
	py := map[string]bool{}
	for _, n := range pythonScenarios(t) {
		py[n] = true
		if _, ok := registry[n]; !ok {
			t.Errorf("py/%s.py has no Go twin: register(%q, ...) in a _test.go file", n, n)
		}
	}
	for n := range registry {
		if !py[n] {
			t.Errorf("Go scenario %q has no py/%s.py", n, n)
		}
	}
	for n := range knownDiffs {
		if _, ok := registry[n]; !ok {
			t.Errorf("knownDiffs names %q, which is no scenario", n)
		}
	}
}

// TestConformance runs every scenario on both sides and compares traces.
func TestConformance(t *testing.T) {
	pyName := os.Getenv("CONFORMANCE_PYTHON")
	if pyName == "" {
		pyName = "python3"
	}
	python, lookErr := exec.LookPath(pyName)
	names := pythonScenarios(t)
	var version string
	results := map[string]*pyResult{}
	if lookErr != nil {
		t.Logf("%s not found (%v): comparing only the scenarios that ship a .expected trace; "+
			"install python3 (3.11 or newer) or set CONFORMANCE_PYTHON to run the CPython side", pyName, lookErr)
	} else if version, results = runPython(t, python, names); results == nil {
		lookErr = fmt.Errorf("it is Python %s, older than 3.11", version)
		t.Logf("%s (%s) is too old for the scenarios (asyncio.Runner, TaskGroup and timeout are 3.11): "+
			"comparing only the scenarios that ship a .expected trace; set CONFORMANCE_PYTHON to a CPython 3.11 or newer", pyName, version)
	} else {
		t.Logf("CPython %s (%s); %d scenarios", version, python, len(names))
	}
	var passed, known, compared int
	for _, name := range names {
		sc, ok := registry[name]
		if !ok {
			continue // TestScenarioPairs reports it
		}
		t.Run(name, func(t *testing.T) {
			want, source := expectation(t, name, results[name], version, lookErr != nil)
			if want == nil {
				return
			}
			compared++
			got := runGo(t, sc)
			same := slicesEqual(want, got)
			reason, isKnown := knownDiffs[name]
			switch {
			case same && isKnown:
				t.Errorf("known divergence now matches %s: remove %q from knownDiffs (it said: %s)", source, name, reason)
			case same:
				passed++
				if testing.Verbose() {
					t.Logf("trace (identical):\n%s", strings.Join(got, "\n"))
				}
			case isKnown:
				known++
				t.Logf("KNOWN DIVERGENCE (%s)\n%s", reason, diff(source, want, got))
			default:
				t.Errorf("traces differ:\n%s", diff(source, want, got))
			}
		})
	}
	t.Logf("%d scenarios, %d compared, %d identical, %d known divergences", len(names), compared, passed, known)
}

// expectation returns the trace the duet side must produce, and where it
// comes from; nil when the scenario cannot be checked here (after a Skip).
func expectation(t *testing.T, name string, res *pyResult, version string, noPython bool) ([]string, string) {
	expected, hasExpected := readExpected(name)
	switch {
	case noPython && hasExpected:
		return expected, "py/" + name + ".expected"
	case noPython:
		t.Skip("no usable python3: no CPython trace to compare with")
	case res == nil:
		t.Fatalf("py/runner.py printed nothing for %s", name)
	case res.skipped != "" && hasExpected:
		return expected, "py/" + name + ".expected (CPython " + version + " " + res.skipped + ")"
	case res.skipped != "":
		t.Fatalf("py/%s.py %s and ships no py/%s.expected", name, res.skipped, name)
	case hasExpected && !slicesEqual(expected, res.lines):
		t.Errorf("py/%s.expected disagrees with CPython %s: fix the hand-written trace\n%s",
			name, version, diff("CPython "+version, res.lines, expected))
	}
	return res.lines, "CPython " + version
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diff shows want (from source) against got (duet) line by line: common
// lines indented, "- " only in want, "+ " only in duet's trace.
func diff(source string, want, got []string) string {
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ duet\n", source)
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == got[j]:
			b.WriteString("    " + want[i] + "\n")
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			b.WriteString("  - " + want[i] + "\n")
			i++
		default:
			b.WriteString("  + " + got[j] + "\n")
			j++
		}
	}
	return b.String()
}
