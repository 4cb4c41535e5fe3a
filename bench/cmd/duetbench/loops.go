package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The loops section: one address served by N loops (duet's aio.RunLoops
// with SO_REUSEPORT, examples/echo -loops N) against gnet with as many
// event loops and Go's net package with GOMAXPROCS=N, each pinned to N
// CPUs, the generator on the CPUs left; for every N of -loops that fits
// the machine (N server CPUs and at least one for the generator).
//
//	bash bench/run.sh -only loops -loops 1,2,4,8 -server-cpus 0-7   # on a 16-core machine

// loopsPlan says, for each loop count, the server's and the generator's
// CPU lists, or why the row needs a bigger machine.
type loopsPlan struct {
	n          int
	srv, gen   string
	needsCores string
}

func planLoops(list, serverCPUs string) ([]loopsPlan, error) {
	cpus := runtime.NumCPU()
	var pool []int // the CPUs servers may take, in order
	if serverCPUs == "" {
		for c := range cpus - 1 {
			pool = append(pool, c)
		}
	} else {
		var err error
		if pool, err = parseCPUList(serverCPUs); err != nil {
			return nil, fmt.Errorf("-server-cpus %q: %w", serverCPUs, err)
		}
	}
	var plans []loopsPlan
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-loops %q: %q is not a positive loop count", list, f)
		}
		p := loopsPlan{n: n}
		var gen []string
		taken := map[int]bool{}
		if n <= len(pool) {
			var srv []string
			for _, c := range pool[:n] {
				srv = append(srv, strconv.Itoa(c))
				taken[c] = true
			}
			p.srv = strings.Join(srv, ",")
		}
		for c := range cpus {
			if !taken[c] {
				gen = append(gen, strconv.Itoa(c))
			}
		}
		p.gen = strings.Join(gen, ",")
		if n > len(pool) || len(gen) == 0 {
			p.needsCores = fmt.Sprintf("needs %d server CPUs and one for the generator; this machine has %d", n, cpus)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// parseCPUList reads taskset's list form: "0-3,6".
func parseCPUList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(f), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CPU number or range", f)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a CPU range", f)
			}
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

func runLoops(w io.Writer, self string, env serverEnv, o echoOpts, quick bool) {
	dur, warm := o.dur, o.warm
	if quick {
		dur, warm = 500*time.Millisecond, 200*time.Millisecond
	}
	plans, err := planLoops(o.loops, o.serverCPUs)
	fmt.Fprintf(w, "\nloops: one address served by N loops (duet -loops N, SO_REUSEPORT), gnet with N event loops, Go net with GOMAXPROCS=N; server on N CPUs, generator on the rest; load average %s\n", loadAvg())
	if err != nil {
		fmt.Fprintf(w, "loops section: %v\n", err)
		return
	}
	duetBin, duetSkip := buildDuetEcho(env)
	peer := filepath.Join(env.binDir, "echopeer")
	var cs []int
	for _, f := range strings.Split(o.conns, ",") {
		if c, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && c > 0 {
			cs = append(cs, c)
		}
	}
	for _, p := range plans {
		if p.needsCores != "" {
			fmt.Fprintf(w, "%d loops: not run: %s (run `bash bench/run.sh -only loops -loops %s` on a machine with more cores)\n", p.n, p.needsCores, o.loops)
			continue
		}
		fmt.Fprintf(w, "\n%d loops: server on CPUs %s, generator on CPUs %s\n", p.n, p.srv, p.gen)
		servers := []struct {
			s   echoServer
			env []string
		}{
			{echoServer{name: fmt.Sprintf("duet protocol (%d)", p.n), duet: true, goRT: true, skip: duetSkip,
				argv: []string{duetBin, "-addr", "ADDR", "-api", "protocol", "-loops", strconv.Itoa(p.n)}}, nil},
			{echoServer{name: fmt.Sprintf("gnet v2 (%d loop%s)", p.n, plural(p.n)), goRT: true,
				argv: []string{peer, "-impl", "gnet", "-loops", strconv.Itoa(p.n), "-addr", "ADDR"}}, nil},
			{echoServer{name: fmt.Sprintf("Go net (GOMAXPROCS=%d)", p.n), goRT: true,
				argv: []string{peer, "-impl", "net", "-addr", "ADDR"}}, []string{"GOMAXPROCS=" + strconv.Itoa(p.n)}},
		}
		var rows []echoRow
		for _, sv := range servers {
			row := echoRow{s: sv.s, skip: sv.s.skip}
			if row.skip != "" {
				rows = append(rows, row)
				continue
			}
			r, err := startServerOn(sv.s, p.srv, sv.env)
			if err != nil {
				row.skip = "did not start: " + err.Error()
				rows = append(rows, row)
				continue
			}
			for _, c := range cs {
				args := []string{"taskset", "-c", p.gen, self, "echoload", "-addr", r.addr, "-c", strconv.Itoa(c),
					"-size", strconv.Itoa(o.size), "-d", dur.String(), "-warmup", warm.String(), "-pid", strconv.Itoa(r.pid)}
				pt := echoPoint{c: c}
				pt.res, pt.err = runLoad(exec.Command(args[0], args[1:]...))
				if pt.err != nil {
					fmt.Fprintf(os.Stderr, "  loops %-24s c=%-5d FAILED: %v\n", sv.s.name, c, pt.err)
				} else {
					fmt.Fprintf(os.Stderr, "  loops %-24s c=%-5d %s req/s\n", sv.s.name, c, num(pt.res.RPS))
				}
				row.points = append(row.points, pt)
			}
			row.exit = r.stop()
			rows = append(rows, row)
		}
		printEcho(w, rows, cs)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
