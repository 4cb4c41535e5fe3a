package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// echoServer is one row of the echo and idle tables: a TCP echo server
// started by a command line, ready once it prints "listening on ADDR".
type echoServer struct {
	name   string   // table row
	duet   bool     // duet's (compared with the best peer); else a peer
	argv   []string // the command; the token "ADDR" becomes HOST:PORT
	skip   string   // why it is not run ("" = run it)
	goRT   bool     // a Go program: may answer SIGUSR1 with a "stats {JSON}" line (Go ignores an unhandled SIGUSR1; Python would die)
	python string   // interpreter version, for the header
}

// serverEnv is what the server list is built from.
type serverEnv struct {
	binDir    string // where this binary, echopeer and duet-echo live
	repo      string // the library's root (holds examples/)
	pyDir     string
	python    string // CPython for asyncio
	uvPython  string // /usr/bin/python3 with uvloop, or ""
	duetLoops int
}

// echoServers lists every server, duet's first. duet's two entries are
// examples/echo (issue 8), built here from the library when it exists.
func echoServers(e serverEnv) []echoServer {
	var ss []echoServer
	duetBin, duetSkip := buildDuetEcho(e)
	for _, api := range []string{"protocol", "stream"} {
		ss = append(ss, echoServer{name: "duet " + api, duet: true, goRT: true, skip: duetSkip,
			argv: []string{duetBin, "-addr", "ADDR", "-api", api, "-loops", strconv.Itoa(e.duetLoops)}})
	}
	peer := filepath.Join(e.binDir, "echopeer")
	peerSkip := ""
	if _, err := os.Stat(peer); err != nil {
		peerSkip = "echopeer not built (bench/run.sh builds it: go build -o results/echopeer ./cmd/echopeer)"
	}
	ss = append(ss,
		echoServer{name: "Go net (goroutine/conn)", goRT: true, skip: peerSkip, argv: []string{peer, "-impl", "net", "-addr", "ADDR"}},
		echoServer{name: "gnet v2 (1 loop)", goRT: true, skip: peerSkip, argv: []string{peer, "-impl", "gnet", "-addr", "ADDR"}})
	script := filepath.Join(e.pyDir, "echo_server.py")
	for _, api := range []string{"protocol", "stream"} {
		ss = append(ss, echoServer{name: "asyncio " + api, python: pyVersion(e.python),
			argv: []string{e.python, script, "-addr", "ADDR", "-api", api}})
	}
	uvSkip := ""
	uv := e.uvPython
	if uv == "" {
		uv = "/usr/bin/python3"
		uvSkip = "uvloop not importable by /usr/bin/python3 (apt-get install python3-uvloop; bench/run.sh does)"
	}
	for _, api := range []string{"protocol", "stream"} {
		ss = append(ss, echoServer{name: "uvloop " + api, skip: uvSkip, python: pyVersion(uv),
			argv: []string{uv, script, "-addr", "ADDR", "-api", api, "-uvloop"}})
	}
	return ss
}

// buildDuetEcho builds the library's examples/echo into binDir, or says
// why there is none.
func buildDuetEcho(e serverEnv) (bin, skip string) {
	bin = filepath.Join(e.binDir, "duet-echo")
	src := filepath.Join(e.repo, "examples", "echo")
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return bin, "not built yet: examples/echo does not exist in the repo (issue 8)"
	}
	c := exec.Command("go", "build", "-o", bin, "./examples/echo")
	c.Dir = e.repo
	if out, err := c.CombinedOutput(); err != nil {
		return bin, "examples/echo does not build: " + firstLine(string(out))
	}
	return bin, ""
}

// findRepo returns the library's root above the CPython scripts' directory
// (bench/python -> bench -> repo).
func findRepo(pyDir string) string {
	abs, err := filepath.Abs(pyDir)
	if err != nil {
		return filepath.Join(pyDir, "..", "..")
	}
	return filepath.Dir(filepath.Dir(abs))
}

// running is a started server.
type running struct {
	cmd   *exec.Cmd
	pid   int
	addr  string
	lines chan string // its stdout after the readiness line
	errb  *lockedBuf
	done  chan struct{}
	werr  error
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}

// startServer starts s on a free loopback port, pinned to cpu when cpu >=
// 0 (taskset execs the server, so the PID is the server's), and waits for
// its "listening on ADDR" line.
func startServer(s echoServer, cpu int) (*running, error) {
	cpus := ""
	if cpu >= 0 {
		cpus = strconv.Itoa(cpu)
	}
	return startServerOn(s, cpus, nil)
}

// startServerOn starts s pinned to the CPU list cpus (taskset -c; "" for
// no pinning), with env added to its environment.
func startServerOn(s echoServer, cpus string, env []string) (*running, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	argv := make([]string, 0, len(s.argv)+3)
	if cpus != "" {
		argv = append(argv, "taskset", "-c", cpus)
	}
	for _, a := range s.argv {
		argv = append(argv, strings.ReplaceAll(a, "ADDR", addr))
	}
	c := exec.Command(argv[0], argv[1:]...)
	if env != nil {
		c.Env = append(os.Environ(), env...)
	}
	r := &running{cmd: c, lines: make(chan string, 64), errb: &lockedBuf{}, done: make(chan struct{})}
	c.Stderr = r.errb
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	r.pid = c.Process.Pid
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			l := sc.Text()
			if first && strings.HasPrefix(l, "listening on ") {
				first = false
				ready <- strings.TrimSpace(strings.TrimPrefix(l, "listening on "))
				continue
			}
			select {
			case r.lines <- l:
			default: // nobody asked: drop
			}
		}
		r.werr = c.Wait()
		close(r.done)
	}()
	select {
	case r.addr = <-ready:
		return r, nil
	case <-r.done:
		return nil, fmt.Errorf("exited before 'listening on': %v: %s", r.werr, lastLine(r.errb.String()))
	case <-time.After(15 * time.Second):
		r.stop()
		return nil, fmt.Errorf("no 'listening on' line within 15s: %s", lastLine(r.errb.String()))
	}
}

// stop sends SIGTERM and says how the server ended: "clean" (status 0
// within 5 s), its exit status, or "killed" (SIGKILL after 5 s).
func (r *running) stop() string {
	select {
	case <-r.done:
		return fmt.Sprintf("had already exited (%v)", r.werr)
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		if r.werr == nil {
			return "clean"
		}
		return r.werr.Error()
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		return "killed (no exit within 5s of SIGTERM)"
	}
}

// goStats asks a Go server for its runtime memory (SIGUSR1 -> "stats" line).
func (r *running) goStats() (map[string]float64, error) {
	for len(r.lines) > 0 {
		<-r.lines
	}
	if err := r.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return nil, err
	}
	deadline := time.After(2 * time.Second)
	for {
		select {
		case l := <-r.lines:
			if js, ok := strings.CutPrefix(l, "stats "); ok {
				var m map[string]float64
				if err := json.Unmarshal([]byte(js), &m); err != nil {
					return nil, err
				}
				return m, nil
			}
		case <-deadline:
			return nil, errors.New("no stats line within 2s of SIGUSR1")
		case <-r.done:
			return nil, errors.New("exited")
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// procCPUTicks is utime and stime of pid (all its threads) in clock
// ticks, fields 14 and 15 of /proc/PID/stat.
func procCPUTicks(pid int) (user, sys int64, err error) {
	if pid <= 0 {
		return 0, 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	sys, err2 := strconv.ParseInt(f[12], 10, 64)  // field 15
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return user, sys, nil
}

var clkTckOnce = sync.OnceValue(func() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 100 // Linux's USER_HZ on every common configuration
})

// clkTck is the unit of /proc/PID/stat's CPU times (getconf CLK_TCK).
func clkTck() int64 { return clkTckOnce() }

// procStatusKB reads a "Key:  N kB" line of /proc/PID/status.
func procStatusKB(pid int, key string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return kbField(string(b), key)
}

// meminfoKB reads a line of /proc/meminfo.
func meminfoKB(key string) (float64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	return kbField(string(b), key)
}

func kbField(s, key string) (float64, error) {
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return strconv.ParseFloat(f[0], 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s", key)
}

// procSockets counts the open sockets of pid (other files, such as the
// pipes of a splice, do not count).
func procSockets(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	es, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range es {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// procNoFile is pid's soft RLIMIT_NOFILE (/proc/PID/limits).
func procNoFile(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, errors.New("no 'Max open files' line")
}

// selfNoFile raises this process's soft RLIMIT_NOFILE to the hard limit
// (Go does it at start-up too; children get the original back) and
// returns it.
func selfNoFile() int {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return 1024
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return int(rl.Cur)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	if s == "" {
		return "(no stderr)"
	}
	return s
}
