package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The udp section: UDP echo servers (duet's DatagramProtocol and
// PacketConn, a Go net server, asyncio's DatagramProtocol, and uvloop's
// when installed), each pinned to the server CPU, against "duetbench
// udpload" pinned to the other, at every flow count, in one run.

// udpFlows is the -udp-c flag: the flow counts of the udp section.
var udpFlows string

func registerUDPFlags(fs *flag.FlagSet) {
	fs.StringVar(&udpFlows, "udp-c", "1,50", "udp: flow counts (sockets with one datagram in flight), comma-separated")
}

// udpSection takes "udp" out of -only: it reports whether the udp section
// runs, and the -only the other sections and workloads are chosen by
// ("-" when udp was all it named, which matches none of them).
func udpSection(only string) (udp bool, rest string) {
	if only == "" {
		return true, ""
	}
	var kept []string
	for _, n := range strings.Split(only, ",") {
		if strings.TrimSpace(n) == "udp" {
			udp = true
		} else {
			kept = append(kept, n)
		}
	}
	if len(kept) == 0 {
		return udp, "-"
	}
	return udp, strings.Join(kept, ",")
}

// udpResult is what "duetbench udpload" prints: echoload's figures, with
// the datagrams resent because neither they nor their echo came back.
type udpResult struct {
	loadResult
	Lost int `json:"lost"`
}

// udpServers lists the udp section's servers, duet's first.
func udpServers(self string, e serverEnv) []echoServer {
	ss := []echoServer{
		{name: "duet DatagramProtocol", duet: true, argv: []string{self, "udpecho", "-impl", "protocol", "-addr", "ADDR"}},
		{name: "duet PacketConn (task)", duet: true, argv: []string{self, "udpecho", "-impl", "packetconn", "-addr", "ADDR"}},
		{name: "Go net (1 goroutine)", argv: []string{self, "udpecho", "-impl", "net", "-addr", "ADDR"}},
	}
	script := filepath.Join(e.pyDir, "udp_echo_server.py")
	ss = append(ss, echoServer{name: "asyncio DatagramProtocol", python: pyVersion(e.python), argv: []string{e.python, script, "-addr", "ADDR"}})
	uv, uvSkip := e.uvPython, ""
	if uv == "" {
		uv = "/usr/bin/python3"
		uvSkip = "uvloop not importable by /usr/bin/python3 (apt-get install python3-uvloop; bench/run.sh does)"
	}
	return append(ss, echoServer{name: "uvloop DatagramProtocol", skip: uvSkip, python: pyVersion(uv), argv: []string{uv, script, "-addr", "ADDR", "-uvloop"}})
}

// runUDP is the udp section.
func runUDP(w io.Writer, self string, servers []echoServer, o echoOpts, quick bool) {
	dur, warm := o.dur, o.warm
	if quick {
		dur, warm = 500*time.Millisecond, 200*time.Millisecond
	}
	var cs []int
	for _, f := range strings.Split(udpFlows, ",") {
		if c, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && c > 0 {
			cs = append(cs, c)
		}
	}
	srvCPU, genCPU, pinNote := o.pinning()
	t0 := time.Now()
	fmt.Fprintf(w, "\nudp: %d-byte datagrams, one in flight per flow (a connected socket), %v warm-up + %v measured per point; load average %s\n", o.size, warm, dur, loadAvg())
	fmt.Fprintf(w, "%s; server CPU time from /proc/PID/stat, resolution 1/%d s\n", pinNote, clkTck())
	var rows []echoRow
	lost := map[string]int{}
	for _, s := range servers {
		row := echoRow{s: s, skip: s.skip}
		if s.skip == "" {
			r, err := startServer(s, srvCPU)
			if err != nil {
				row.skip = "did not start: " + err.Error()
			} else {
				for _, c := range cs {
					args := []string{self, "udpload", "-addr", r.addr, "-c", strconv.Itoa(c), "-size", strconv.Itoa(o.size),
						"-d", dur.String(), "-warmup", warm.String(), "-pid", strconv.Itoa(r.pid)}
					if genCPU >= 0 {
						args = append([]string{"taskset", "-c", strconv.Itoa(genCPU)}, args...)
					}
					p := echoPoint{c: c}
					var ur udpResult
					ur, p.err = runUDPLoad(exec.Command(args[0], args[1:]...))
					p.res = ur.loadResult
					lost[fmt.Sprint(s.name, c)] = ur.Lost
					if p.err != nil {
						fmt.Fprintf(os.Stderr, "  udp %-26s c=%-4d FAILED: %v\n", s.name, c, p.err)
					} else {
						fmt.Fprintf(os.Stderr, "  udp %-26s c=%-4d %s datagrams/s\n", s.name, c, num(p.res.RPS))
					}
					row.points = append(row.points, p)
				}
				row.exit = r.stop()
			}
		}
		if row.skip != "" {
			fmt.Fprintf(os.Stderr, "  udp %-26s skipped: %s\n", s.name, row.skip)
		}
		rows = append(rows, row)
	}
	printUDP(w, rows, cs, lost)
	fmt.Fprintf(w, "udp section: %.1fs, load average at end: %s\n", time.Since(t0).Seconds(), loadAvg())
}

func runUDPLoad(c *exec.Cmd) (udpResult, error) {
	var r udpResult
	return r, runLoadJSON(c, &r)
}

func printUDP(w io.Writer, rows []echoRow, cs []int, lost map[string]int) {
	hdr := fmt.Sprintf("%-26s %4s %10s %8s %8s %6s %12s %7s %5s %5s %10s %9s", "server", "c", "dgrams/s", "p50", "p99", "lost",
		"CPU us/dgram", "user us", "srv%", "gen%", "dgr/s:best", "CPU:best")
	fmt.Fprintln(w, hdr)
	fmt.Fprintln(w, strings.Repeat("-", len(hdr)))
	for _, c := range cs {
		bRPS, rn, bCPU, cn := bestPeer(rows, c)
		for _, r := range rows {
			if r.skip != "" {
				if c == cs[0] {
					fmt.Fprintf(w, "%-26s %4s skipped: %s\n", r.s.name, "-", r.skip)
				}
				continue
			}
			for _, p := range r.points {
				if p.c != c {
					continue
				}
				if p.err != nil {
					fmt.Fprintf(w, "%-26s %4d FAILED: %v\n", r.s.name, c, p.err)
					continue
				}
				x := p.res
				u := cpuPerReq(x)
				fmt.Fprintf(w, "%-26s %4d %10s %8s %8s %6d %12s %7s %5s %5s %10s %9s\n", r.s.name, c, num(x.RPS),
					us(x.P50us), us(x.P99us), lost[fmt.Sprint(r.s.name, c)], fmt.Sprintf("%.2f", u), fmt.Sprintf("%.2f", userPerReq(x)),
					pct(x.ServerCPU, x.Seconds), pct(x.GenCPU, x.Seconds),
					ratio(x.RPS, x.RPS > 0, bRPS, bRPS > 0, true), ratio(u, u > 0, bCPU, bCPU > 0, false))
			}
		}
		if bRPS > 0 {
			fmt.Fprintf(w, "%-26s %4d best peer: %s for datagrams/s, %s for CPU/datagram\n", "", c, rn, cn)
		}
	}
	fmt.Fprintln(w, "dgrams/s: echoes completed in the window / its length; p50, p99: send-to-echo latency; lost: datagrams resent")
	fmt.Fprintln(w, "after 500 ms with no echo (warm-up included; a late echo is then dropped). CPU us/dgram: server utime+stime over the window / echoes; user us:")
	fmt.Fprintln(w, "its user-mode part. srv%, gen%: CPU of the server, the generator (100% = one core). dgr/s:best, CPU:best: how many")
	fmt.Fprintln(w, "times better than the best peer at this c (>1: better); peers are every server but duet's.")
	printNotes(w, rows)
}
