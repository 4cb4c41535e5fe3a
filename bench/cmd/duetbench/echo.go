package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// echoOpts are compare's flags for the echo and idle sections.
type echoOpts struct {
	serverCPU, loadCPU int
	noPin              bool
	conns              string
	dur, warm          time.Duration
	size               int
	reps               int
	idleN              int
	maxConns           int // 0: as the file limit allows; <0: no probe
	duetLoops          int
	loops              string // loops section: loop counts
	serverCPUs         string // loops section: the CPUs servers may take

	churnDur     time.Duration
	churnWorkers int
	churnPeers   bool
}

func (o *echoOpts) register(fs *flag.FlagSet) {
	fs.IntVar(&o.serverCPU, "server-cpu", 0, "echo/idle: CPU the servers are pinned to (taskset -c)")
	fs.IntVar(&o.loadCPU, "load-cpu", 1, "echo: CPU the load generator is pinned to (taskset -c)")
	fs.BoolVar(&o.noPin, "no-pin", false, "echo/idle: do not pin servers and generator")
	fs.StringVar(&o.conns, "echo-c", "50,1000", "echo: connection counts, comma-separated")
	fs.DurationVar(&o.dur, "echo-d", 3*time.Second, "echo: measured window per point")
	fs.DurationVar(&o.warm, "echo-warmup", time.Second, "echo: unmeasured warm-up before each window")
	fs.IntVar(&o.size, "echo-size", 64, "echo: message size in bytes")
	fs.IntVar(&o.reps, "echo-reps", 5, "echo: rounds over every server, interleaved; each figure is the median of the rounds")
	fs.IntVar(&o.idleN, "idle-n", 10000, "idle: idle connections held open against each server")
	fs.IntVar(&o.maxConns, "maxconns", 0, "idle: connections of the max-connections probe (0: as many as the file limits allow; -1: no probe)")
	fs.IntVar(&o.duetLoops, "duet-loops", 1, "echo/idle: -loops passed to duet's examples/echo")
	fs.StringVar(&o.loops, "loops", "1,2,4,8", "loops: loop counts to serve one address with (each needs as many server CPUs, plus one for the generator)")
	fs.StringVar(&o.serverCPUs, "server-cpus", "", "loops: CPUs the servers may take, taskset's list form (default: all but the last)")
	fs.DurationVar(&o.churnDur, "churn-d", time.Minute, "churn: how long each server is churned")
	fs.IntVar(&o.churnWorkers, "churn-workers", 32, "churn: generator threads connecting at once")
	fs.BoolVar(&o.churnPeers, "churn-peers", false, "churn: churn the peers too, not only duet's servers")
}

// sections reports which of the non-workload sections -only selects (all
// of them when -only is empty) and the names left for the workloads.
func sections(only string) (echo, idle, churn, loops bool, rest []string) {
	if only == "" {
		return true, true, true, true, nil
	}
	for _, n := range strings.Split(only, ",") {
		switch n = strings.TrimSpace(n); n {
		case "echo":
			echo = true
		case "idle":
			idle = true
		case "churn":
			churn = true
		case "loops":
			loops = true
		default:
			rest = append(rest, n)
		}
	}
	return echo, idle, churn, loops, rest
}

// pinning checks the CPU ids and taskset; it returns the CPUs to use (-1:
// none) and a line for the report.
func (o echoOpts) pinning() (srv, gen int, note string) {
	if o.noPin {
		return -1, -1, "pinning: off (-no-pin)"
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return -1, -1, "pinning: off (no taskset: apt-get install util-linux)"
	}
	n := runtime.NumCPU()
	if o.serverCPU < 0 || o.serverCPU >= n || o.loadCPU < 0 || o.loadCPU >= n {
		return -1, -1, fmt.Sprintf("pinning: off (-server-cpu %d / -load-cpu %d outside the %d CPUs this process may use)", o.serverCPU, o.loadCPU, n)
	}
	note = fmt.Sprintf("pinning: server on CPU %d, load generator on CPU %d (taskset -c)", o.serverCPU, o.loadCPU)
	if o.serverCPU == o.loadCPU {
		note += "; the same CPU: they compete"
	}
	return o.serverCPU, o.loadCPU, note
}

type echoPoint struct {
	c      int
	rounds []loadResult // by round; a failed round's has no requests
	res    loadResult   // the median of the rounds that succeeded (see medianResult)
	err    error        // the first failure, when no round succeeded
}

// succeeded returns the rounds of p that succeeded.
func (p echoPoint) succeeded() []loadResult {
	var out []loadResult
	for _, r := range p.rounds {
		if r.Requests > 0 {
			out = append(out, r)
		}
	}
	return out
}

type echoRow struct {
	s      echoServer
	points []echoPoint
	skip   string // the server did not start
	exit   string // how it stopped
}

// runEcho is the echo section: every server in turn, pinned, against the
// generator ("duetbench echoload") pinned to the other CPU, at every
// connection count; and that o.reps times over, the servers interleaved
// (round 1 runs each once, then round 2...), so that a slow spell of this
// shared machine falls on every server alike rather than on one. The
// servers are all started first and stay up, idle but for their turn, so
// that a round costs no start-ups and its windows follow each other
// closely. Each figure reported is the median of the rounds, and the
// ratios to the best peer are paired round by round (pairedRatios).
func runEcho(w io.Writer, self string, servers []echoServer, o echoOpts, quick bool) {
	dur, warm, reps := o.dur, o.warm, max(o.reps, 1)
	if quick {
		dur, warm, reps = 500*time.Millisecond, 200*time.Millisecond, 1
	}
	var cs []int
	for _, f := range strings.Split(o.conns, ",") {
		if c, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && c > 0 {
			cs = append(cs, c)
		}
	}
	srvCPU, genCPU, pinNote := o.pinning()
	t0 := time.Now()
	fmt.Fprintf(w, "\necho: %d-byte messages, one in flight per connection, %v warm-up + %v measured per point, median of %d interleaved rounds; load average %s\n", o.size, warm, dur, reps, loadAvg())
	fmt.Fprintf(w, "%s; server CPU time from /proc/PID/stat, resolution 1/%d s\n", pinNote, clkTck())
	rows := make([]echoRow, len(servers))
	procs := make([]*running, len(servers))
	for i, s := range servers {
		rows[i] = echoRow{s: s, skip: s.skip}
		for _, c := range cs {
			rows[i].points = append(rows[i].points, echoPoint{c: c, rounds: make([]loadResult, reps)})
		}
		if s.skip != "" {
			fmt.Fprintf(os.Stderr, "  echo %-24s skipped: %s\n", s.name, s.skip)
			continue
		}
		r, err := startServer(s, srvCPU)
		if err != nil {
			rows[i].skip = "did not start: " + err.Error()
			fmt.Fprintf(os.Stderr, "  echo %-24s %s\n", s.name, rows[i].skip)
			continue
		}
		procs[i] = r
		warmUp(self, r, o.size, genCPU)
	}
	for round := 1; round <= reps; round++ {
		for i := range rows {
			row, r := &rows[i], procs[i]
			if r == nil {
				continue
			}
			for k, c := range cs {
				p := &row.points[k]
				res, err := runLoad(loadCmd(self, r, c, o.size, dur, warm, genCPU))
				if err != nil {
					fmt.Fprintf(os.Stderr, "  echo %-24s c=%-5d round %d/%d FAILED: %v\n", row.s.name, c, round, reps, err)
					if p.err == nil {
						p.err = err
					}
					continue
				}
				fmt.Fprintf(os.Stderr, "  echo %-24s c=%-5d round %d/%d %s req/s\n", row.s.name, c, round, reps, num(res.RPS))
				p.rounds[round-1] = res
			}
		}
	}
	for i, r := range procs {
		if r != nil {
			rows[i].exit = r.stop()
		}
	}
	for i := range rows {
		for k := range rows[i].points {
			p := &rows[i].points[k]
			if ok := p.succeeded(); len(ok) > 0 {
				p.res, p.err = medianResult(ok), nil
			}
		}
	}
	printEcho(w, rows, cs)
	fmt.Fprintf(w, "echo section: %.1fs, load average at end: %s\n", time.Since(t0).Seconds(), loadAvg())
}

// warmUp runs one short, unmeasured load against a server that has just
// started, whose connections then close, so that every server is measured
// as it runs once it has served and closed connections: a fresh CPython
// server reads each message into a new 256 KiB buffer (sock.recv's
// max_size) that glibc's malloc serves with mmap, mremap and munmap, three
// system calls more per read, until the first connection's end of stream
// frees one such buffer whole and glibc raises its mmap threshold past
// it. Measured unwarmed, asyncio's protocol echo at c=50 took 24-40 µs of
// CPU per request, and 6-10 µs once warm (strace -c counts the calls).
func warmUp(self string, r *running, size, genCPU int) {
	// Its figures are not kept; a failure shows in the rounds.
	runLoad(loadCmd(self, r, 50, size, 300*time.Millisecond, 200*time.Millisecond, genCPU))
}

// loadCmd is the generator's command line for c connections to r, pinned
// to genCPU (none when negative).
func loadCmd(self string, r *running, c, size int, d, warm time.Duration, genCPU int) *exec.Cmd {
	args := []string{self, "echoload", "-addr", r.addr, "-c", strconv.Itoa(c), "-size", strconv.Itoa(size),
		"-d", d.String(), "-warmup", warm.String(), "-pid", strconv.Itoa(r.pid)}
	if genCPU >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(genCPU)}, args...)
	}
	return exec.Command(args[0], args[1:]...)
}

// medianResult is the median of the rounds rs: the round whose server CPU
// per request is the median gives the CPU figures (so that CPU/req, user
// us, srv% and gen% come from one window), and req/s, p50 and p99 are
// each the median of theirs; errors are summed.
func medianResult(rs []loadResult) loadResult {
	byCPU := slices.Clone(rs)
	slices.SortFunc(byCPU, func(a, b loadResult) int { return cmp.Compare(cpuPerReq(a), cpuPerReq(b)) })
	m := byCPU[len(byCPU)/2]
	med := func(f func(loadResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m.RPS = med(func(r loadResult) float64 { return r.RPS })
	m.P50us = med(func(r loadResult) float64 { return r.P50us })
	m.P99us = med(func(r loadResult) float64 { return r.P99us })
	m.Errors, m.FirstError = 0, ""
	for _, r := range rs {
		m.Errors += r.Errors
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	return m
}

// cpuRange is the lowest and highest server CPU per request of p's rounds.
func cpuRange(p echoPoint) string {
	ok := p.succeeded()
	if len(ok) < 2 {
		return "-"
	}
	lo, hi := cpuPerReq(ok[0]), cpuPerReq(ok[0])
	for _, r := range ok[1:] {
		lo, hi = min(lo, cpuPerReq(r)), max(hi, cpuPerReq(r))
	}
	return fmt.Sprintf("%.2f-%.2f", lo, hi)
}

func runLoad(c *exec.Cmd) (loadResult, error) {
	var r loadResult
	return r, runLoadJSON(c, &r)
}

// runLoadJSON runs a generator and decodes the JSON line it ends with into v.
func runLoadJSON(c *exec.Cmd, v any) error {
	out, err := c.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + lastLine(string(ee.Stderr))
		}
		return fmt.Errorf("%s", msg)
	}
	return json.Unmarshal([]byte(lastLine(string(out))), v)
}

// bestPeer returns, for connection count c, the best peer's req/s and
// lowest server CPU per request.
func bestPeer(rows []echoRow, c int) (rps float64, rpsName string, cpu float64, cpuName string) {
	for _, r := range rows {
		if r.s.duet {
			continue
		}
		for _, p := range r.points {
			if p.c != c || p.err != nil || p.res.Requests == 0 {
				continue
			}
			if p.res.RPS > rps {
				rps, rpsName = p.res.RPS, r.s.name
			}
			if u := cpuPerReq(p.res); u > 0 && (cpu == 0 || u < cpu) {
				cpu, cpuName = u, r.s.name
			}
		}
	}
	return
}

// pairedRatios returns point p's ratios to the best peer from the rounds:
// against each peer, the median over the rounds of p's ratio to that
// peer's figure in the same round (a slow spell is shared by the servers
// of one round more than by the same server in two), and of those the
// least favourable to p, which is the best peer's. (Taking each round's
// best of several peers instead would pick the luckiest of them every
// round, a comparison biased against p.) False when p has fewer than two
// rounds: the caller compares medians.
func pairedRatios(rows []echoRow, p echoPoint) (rps, cpu float64, ok bool) {
	median := func(v []float64) float64 {
		slices.Sort(v)
		return v[len(v)/2]
	}
	rps, cpu = math.Inf(1), math.Inf(1)
	for _, r := range rows {
		if r.s.duet {
			continue
		}
		for _, q := range r.points {
			if q.c != p.c {
				continue
			}
			var rr, cr []float64
			for k, x := range p.rounds {
				if k >= len(q.rounds) || x.Requests == 0 || q.rounds[k].Requests == 0 {
					continue
				}
				y := q.rounds[k]
				rr = append(rr, speedup(x.RPS, y.RPS, true))
				cr = append(cr, speedup(cpuPerReq(x), cpuPerReq(y), false))
			}
			if len(rr) >= 2 {
				rps, cpu, ok = min(rps, median(rr)), min(cpu, median(cr)), true
			}
		}
	}
	return rps, cpu, ok
}

func printEcho(w io.Writer, rows []echoRow, cs []int) {
	hdr := fmt.Sprintf("%-24s %5s %9s %9s %9s %6s %10s %11s %7s %6s %6s %9s %9s", "server", "c", "req/s", "p50", "p99", "errors",
		"CPU us/req", "CPU range", "user us", "srv%", "gen%", "req/s:best", "CPU:best")
	fmt.Fprintln(w, hdr)
	fmt.Fprintln(w, strings.Repeat("-", len(hdr)))
	for _, c := range cs {
		bRPS, _, bCPU, _ := bestPeer(rows, c)
		for _, r := range rows {
			if r.skip != "" {
				if c == cs[0] {
					fmt.Fprintf(w, "%-24s %5s skipped: %s\n", r.s.name, "-", r.skip)
				}
				continue
			}
			for _, p := range r.points {
				if p.c != c {
					continue
				}
				if p.err != nil {
					fmt.Fprintf(w, "%-24s %5d FAILED: %v\n", r.s.name, c, p.err)
					continue
				}
				x := p.res
				u := cpuPerReq(x)
				rr, cr := ratio(x.RPS, x.RPS > 0, bRPS, bRPS > 0, true), ratio(u, u > 0, bCPU, bCPU > 0, false)
				if pr, pc, ok := pairedRatios(rows, p); ok {
					rr, cr = fmtRatio(pr)+"x", fmtRatio(pc)+"x"
				}
				fmt.Fprintf(w, "%-24s %5d %9s %9s %9s %6d %10s %11s %7s %6s %6s %9s %9s\n", r.s.name, c, num(x.RPS),
					us(x.P50us), us(x.P99us), x.Errors, fmt.Sprintf("%.2f", u), cpuRange(p), fmt.Sprintf("%.2f", userPerReq(x)),
					pct(x.ServerCPU, x.Seconds), pct(x.GenCPU, x.Seconds), rr, cr)
			}
		}
		if bRPS > 0 {
			_, rn, _, cn := bestPeer(rows, c)
			fmt.Fprintf(w, "%-24s %5d best peer: %s for req/s, %s for CPU/req\n", "", c, rn, cn)
		}
	}
	fmt.Fprintln(w, "Each figure is the median of the rounds (CPU range: the lowest and highest CPU/req of them).")
	fmt.Fprintln(w, "req/s: echoes completed in the window / its length; p50, p99: send-to-full-echo latency of those echoes.")
	fmt.Fprintln(w, "CPU us/req: server utime+stime over the window / requests; user us: the utime part (the rest is the kernel's:")
	fmt.Fprintln(w, "syscalls, and loopback TCP's delivery, which a write does for the receiver). srv%, gen%: CPU the server, the generator used")
	fmt.Fprintln(w, "(100% = one core); gen% near 100 with srv% below it means the generator, not the server, set the req/s.")
	fmt.Fprintln(w, "req/s:best, CPU:best: how many times better than the best peer at this c (>1: better); peers are every")
	fmt.Fprintln(w, "server but duet's. Over several rounds: against each peer, the median of the rounds' ratios to it (one round's")
	fmt.Fprintln(w, "figures against the same round's), and of those the peer least favourable.")
	printNotes(w, rows)
}

// printNotes reports the servers that did not stop cleanly and the first
// error of each point that had some.
func printNotes(w io.Writer, rows []echoRow) {
	for _, r := range rows {
		if r.exit != "" && r.exit != "clean" {
			fmt.Fprintf(w, "note: %s on SIGTERM: %s\n", r.s.name, r.exit)
		}
		for _, p := range r.points {
			if p.err == nil && p.res.FirstError != "" {
				fmt.Fprintf(w, "note: %s c=%d: %d errors, first: %s\n", r.s.name, p.c, p.res.Errors, p.res.FirstError)
			}
		}
	}
}

func us(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fms", v/1000)
	}
	return fmt.Sprintf("%.0fus", v)
}

func pct(cpu, secs float64) string {
	if secs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", cpu/secs*100)
}
