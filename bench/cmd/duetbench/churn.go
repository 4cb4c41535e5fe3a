package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// churnResult is what "duetbench churnload" prints: one JSON line.
type churnResult struct {
	Conns       int     `json:"conns"`  // connections opened, written and closed without error
	Errors      int     `json:"errors"` // failed connects, writes, short or wrong echoes
	Seconds     float64 `json:"seconds"`
	ServerTicks int64   `json:"server_ticks"` // the server's utime+stime over the run
	ClkTck      int64   `json:"clk_tck"`
	GenCPU      float64 `json:"gen_cpu_s"`
	FirstError  string  `json:"first_error,omitempty"`
}

// churnRow is one server's churn run, with its sockets and goroutines
// before and after (-1: unknown).
type churnRow struct {
	s                echoServer
	res              churnResult
	fd0, fd1, g0, g1 int
	skip, fail, exit string
}

// runChurn is the churn section (issue 8's reliability list: 10,000
// connects and disconnects per second, no descriptor or goroutine left):
// duet's servers (and the peers with -churn-peers) each take -churn-d of
// connections opened, echoed on every other one, and closed by the
// generator ("duetbench churnload") pinned to the other CPU; the server's
// sockets (/proc/PID/fd) and goroutines (its SIGUSR1 stats line) are
// counted before and once it settles after.
func runChurn(w io.Writer, self string, servers []echoServer, o echoOpts, quick bool) {
	dur := o.churnDur
	if quick {
		dur = time.Second
	}
	srvCPU, genCPU, pinNote := o.pinning()
	t0 := time.Now()
	fmt.Fprintf(w, "\nchurn: connect, send a line, read its echo on every other connection, close; %d generator threads, %v per server; load average %s\n", o.churnWorkers, dur, loadAvg())
	fmt.Fprintf(w, "%s\n", pinNote)
	var rows []churnRow
	for _, s := range servers {
		if !s.duet && !o.churnPeers {
			continue
		}
		row := churnServer(self, s, dur, o.churnWorkers, srvCPU, genCPU)
		switch {
		case row.skip != "":
			fmt.Fprintf(os.Stderr, "  churn %-24s skipped: %s\n", s.name, row.skip)
		case row.fail != "":
			fmt.Fprintf(os.Stderr, "  churn %-24s FAILED: %s\n", s.name, row.fail)
		default:
			fmt.Fprintf(os.Stderr, "  churn %-24s %s conns/s\n", s.name, num(float64(row.res.Conns)/row.res.Seconds))
		}
		rows = append(rows, row)
	}
	printChurn(w, rows)
	fmt.Fprintf(w, "churn section: %.1fs, load average at end: %s\n", time.Since(t0).Seconds(), loadAvg())
}

func churnServer(self string, s echoServer, dur time.Duration, workers, srvCPU, genCPU int) (row churnRow) {
	row = churnRow{s: s, fd0: -1, fd1: -1, g0: -1, g1: -1, skip: s.skip}
	if s.skip != "" {
		return row
	}
	r, err := startServer(s, srvCPU)
	if err != nil {
		row.skip = "did not start: " + err.Error()
		return row
	}
	defer func() { row.exit = r.stop() }()
	time.Sleep(300 * time.Millisecond)
	// A warm-up run first, unmeasured: a duet loop keeps the coroutines
	// of finished tasks for the next ones, so its goroutine count grows
	// to the most handlers it ran at once, and stays; counted from after
	// the warm-up, the growth is a leak's, not the cache's.
	fd := procSockets(r.pid)
	if _, err := churnLoadOnce(self, r, min(2*time.Second, dur/10), workers, genCPU); err != nil {
		row.fail = "warm-up: " + err.Error()
		return row
	}
	settle(r.pid, fd)
	row.fd0, row.g0 = procSockets(r.pid), goroutines(r, s)
	res, err := churnLoadOnce(self, r, dur, workers, genCPU)
	if err != nil {
		row.fail = err.Error()
		return row
	}
	row.res = res
	settle(r.pid, row.fd0)
	row.fd1, row.g1 = procSockets(r.pid), goroutines(r, s)
	return row
}

// churnLoadOnce runs the generator against r for dur, pinned to genCPU
// (-1: not pinned).
func churnLoadOnce(self string, r *running, dur time.Duration, workers, genCPU int) (churnResult, error) {
	var res churnResult
	args := []string{self, "churnload", "-addr", r.addr, "-d", dur.String(), "-workers", strconv.Itoa(workers), "-pid", strconv.Itoa(r.pid)}
	if genCPU >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(genCPU)}, args...)
	}
	// A generator blocked on a server that stopped answering is killed.
	ctx, cancel := context.WithTimeout(context.Background(), dur+time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + lastLine(string(ee.Stderr))
		}
		return res, errors.New(msg)
	}
	if err := json.Unmarshal([]byte(lastLine(string(out))), &res); err != nil {
		return res, fmt.Errorf("bad generator output: %w", err)
	}
	return res, nil
}

// settle waits, up to 10 s, for pid to be back to `sockets` open sockets:
// the server closes its side once it reads the generator's close.
func settle(pid, sockets int) {
	for t0 := time.Now(); procSockets(pid) > sockets && time.Since(t0) < 10*time.Second; {
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutines asks a Go server for its goroutine count; -1 for others or
// when it does not say.
func goroutines(r *running, s echoServer) int {
	if !s.goRT {
		return -1
	}
	st, err := r.goStats()
	if err != nil {
		return -1
	}
	if g, ok := st["goroutines"]; ok {
		return int(g)
	}
	return -1
}

func printChurn(w io.Writer, rows []churnRow) {
	hdr := fmt.Sprintf("%-24s %9s %9s %6s %11s %6s %6s %13s %13s %s", "server", "conns", "conns/s", "errors", "CPU us/conn", "srv%", "gen%",
		"sockets b->a", "gorout. b->a", "leak")
	fmt.Fprintln(w, hdr)
	fmt.Fprintln(w, strings.Repeat("-", len(hdr)))
	for _, r := range rows {
		if r.skip != "" {
			fmt.Fprintf(w, "%-24s skipped: %s\n", r.s.name, r.skip)
			continue
		}
		if r.fail != "" {
			fmt.Fprintf(w, "%-24s FAILED: %s\n", r.s.name, r.fail)
			continue
		}
		x := r.res
		cpu := float64(x.ServerTicks) / float64(max(x.ClkTck, 1))
		perConn := "-"
		if x.Conns > 0 {
			perConn = fmt.Sprintf("%.1f", cpu/float64(x.Conns)*1e6)
		}
		leak := "none"
		switch g := r.g1 - r.g0; {
		case r.fd1 > r.fd0:
			leak = fmt.Sprintf("%d sockets", r.fd1-r.fd0)
		case r.g0 < 0 || g <= 0:
		case g >= max(1, x.Conns/1000):
			leak = fmt.Sprintf("%d goroutines", g)
		default:
			leak = fmt.Sprintf("none (+%d goroutines: < 1 per 1,000 conns)", g)
		}
		fmt.Fprintf(w, "%-24s %9d %9s %6d %11s %6s %6s %13s %13s %s\n", r.s.name, x.Conns, num(float64(x.Conns)/x.Seconds), x.Errors, perConn,
			pct(cpu, x.Seconds), pct(x.GenCPU, x.Seconds), beforeAfter(r.fd0, r.fd1), beforeAfter(r.g0, r.g1), leak)
	}
	fmt.Fprintln(w, "conns/s: connections opened, written, echoed (every other one) and closed by the generator, per second; an error")
	fmt.Fprintln(w, "is a failed connect or write or a wrong echo. CPU us/conn: the server's utime+stime over the run per connection.")
	fmt.Fprintln(w, "sockets: the server's open sockets (/proc/PID/fd) before the run and after it settles (its last closes, up to")
	fmt.Fprintln(w, "10 s); goroutines: its runtime.NumGoroutine from the SIGUSR1 stats line (Go servers). Both are counted after")
	fmt.Fprintln(w, "an unmeasured warm-up run (a tenth of the run, at most 2 s), which fills a duet loop's cache of idle task")
	fmt.Fprintln(w, "coroutines to the most handlers it ran at once. leak: a socket more, or a goroutine more per 1,000 connections;")
	fmt.Fprintln(w, "fewer goroutines more are the cache's, grown past the warm-up's peak (it is bounded by the most handlers at once).")
	for _, r := range rows {
		if r.exit != "" && r.exit != "clean" {
			fmt.Fprintf(w, "note: %s on SIGTERM: %s\n", r.s.name, r.exit)
		}
		if r.res.FirstError != "" {
			fmt.Fprintf(w, "note: %s: %d errors, first: %s\n", r.s.name, r.res.Errors, r.res.FirstError)
		}
	}
}

func beforeAfter(a, b int) string {
	if a < 0 || b < 0 {
		return "-"
	}
	return fmt.Sprintf("%d->%d", a, b)
}
