package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// idleResult is one server holding n idle connections.
type idleResult struct {
	limit    int     // min(server's, this process's soft RLIMIT_NOFILE)
	want     int     // connections opened
	accepted int     // sockets the server gained
	errors   int     // failed connects
	rssKB    float64 // VmRSS growth
	slabKB   float64 // system-wide kernel slab growth (both ends of every connection)
	goKB     float64 // heap+stack in use growth (Go servers), -1 when unknown
	err      error
}

func (r idleResult) per(kb float64) float64 {
	if r.accepted <= 0 {
		return 0
	}
	return kb * 1024 / float64(r.accepted)
}

// holdIdle starts s, opens n connections (n <= 0: as many as the file
// limits allow), waits until the server has accepted them, and measures
// the growth of its resident set (and Go memory) against before.
func holdIdle(s echoServer, n, cpu int) idleResult {
	res := idleResult{goKB: -1}
	r, err := startServer(s, cpu)
	if err != nil {
		res.err = fmt.Errorf("did not start: %w", err)
		return res
	}
	defer r.stop()
	srvLimit, err := procNoFile(r.pid)
	if err != nil {
		res.err = err
		return res
	}
	res.limit = min(srvLimit, selfNoFile())
	if n <= 0 {
		n = res.limit - 200 // room for the server's and this process's other files
	}
	res.want = n
	time.Sleep(300 * time.Millisecond)
	fd0 := procSockets(r.pid)
	rss0, err := procStatusKB(r.pid, "VmRSS")
	if err != nil {
		res.err = err
		return res
	}
	slab0, _ := meminfoKB("Slab")
	var st0 map[string]float64
	if s.goRT {
		st0, _ = r.goStats()
	}

	conns, nerr := dialMany(r.addr, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	res.errors = nerr
	deadline := time.Now().Add(10*time.Second + time.Duration(n)*time.Millisecond)
	for procSockets(r.pid)-fd0 < len(conns) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Accepted is not yet set up (a stream server's handler task): let the
	// server settle until its RSS stops moving.
	prev := -1.0
	for range 20 {
		time.Sleep(250 * time.Millisecond)
		v, _ := procStatusKB(r.pid, "VmRSS")
		if v == prev {
			break
		}
		prev = v
	}
	res.accepted = procSockets(r.pid) - fd0
	rss1, err := procStatusKB(r.pid, "VmRSS")
	if err != nil {
		res.err = err
		return res
	}
	slab1, _ := meminfoKB("Slab")
	res.rssKB, res.slabKB = rss1-rss0, slab1-slab0
	if st0 != nil {
		if st1, err := r.goStats(); err == nil {
			res.goKB = (st1["heap_inuse"] + st1["stack_inuse"] - st0["heap_inuse"] - st0["stack_inuse"]) / 1024
		}
	}
	return res
}

// dialMany opens n connections to addr from 32 dialers. Past 25,000
// connections (the ephemeral ports of one source address to one
// destination) it spreads the sources over 127.0.0.1, 127.0.0.2, ...
func dialMany(addr string, n int) ([]net.Conn, int) {
	host, _, _ := net.SplitHostPort(addr)
	loop := strings.HasPrefix(host, "127.")
	conns := make([]net.Conn, n)
	var next, nerr atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				d := net.Dialer{Timeout: 10 * time.Second}
				if loop && n > 25000 {
					src := i / 25000
					d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, byte(src>>16), byte(src>>8), byte(src+1))}
				}
				c, err := d.Dial("tcp4", addr)
				if err != nil {
					nerr.Add(1)
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, int(nerr.Load())
}

// runIdle is the idle section: every server holds idleN idle connections,
// then, from a fresh start, as many as the file limits allow.
func runIdle(w io.Writer, servers []echoServer, o echoOpts, quick bool) {
	idleN, maxN := o.idleN, o.maxConns
	if quick {
		idleN = min(idleN, 500)
		if maxN == 0 {
			maxN = 1000
		}
	}
	srvCPU, _, pinNote := o.pinning()
	t0 := time.Now()
	fmt.Fprintf(w, "\nidle: %d idle connections (open, no traffic) per server; then the max-connections probe; load average %s\n", idleN, loadAvg())
	fmt.Fprintf(w, "%s; this process's RLIMIT_NOFILE: %d (soft raised to hard)\n", pinNote, selfNoFile())
	hdr := fmt.Sprintf("%-24s %7s %9s %9s %9s %9s   %-7s %9s %9s %9s %10s", "server", "conns", "RSS/conn", "Go h+s", "kern/conn", "errors",
		"limit", "max conns", "RSS/conn", "Go h+s", "1M conns")
	fmt.Fprintln(w, hdr)
	fmt.Fprintln(w, strings.Repeat("-", len(hdr)))
	for _, s := range servers {
		if s.skip != "" {
			fmt.Fprintf(w, "%-24s skipped: %s\n", s.name, s.skip)
			continue
		}
		a := holdIdle(s, idleN, srvCPU)
		fmt.Fprintf(os.Stderr, "  idle %-24s %d conns: %v\n", s.name, a.accepted, errOr(a.err))
		if a.err != nil {
			fmt.Fprintf(w, "%-24s FAILED: %v\n", s.name, a.err)
			continue
		}
		line := fmt.Sprintf("%-24s %7d %9s %9s %9s %9d", s.name, a.accepted, bytesStr(a.per(a.rssKB)), goStr(a), bytesStr(a.per(a.slabKB)/2), a.errors)
		if maxN >= 0 {
			m := holdIdle(s, maxN, srvCPU)
			fmt.Fprintf(os.Stderr, "  max  %-24s %d conns: %v\n", s.name, m.accepted, errOr(m.err))
			if m.err != nil {
				line += "   FAILED: " + m.err.Error()
			} else {
				per := m.per(m.rssKB)
				if k := m.per(m.slabKB) / 2; k > 0 {
					per += k
				}
				line += fmt.Sprintf("   %-7d %9d %9s %9s %10s", m.limit, m.accepted, bytesStr(m.per(m.rssKB)), goStr(m), gib(per*1e6))
				if m.errors > 0 {
					line += fmt.Sprintf(" (%d connects failed)", m.errors)
				}
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "RSS/conn: growth of the server's VmRSS (/proc/PID/status) per accepted connection (sockets it gained), after it")
	fmt.Fprintln(w, "settles. Go h+s: growth of heap+stack in use (runtime.MemStats after GC, via SIGUSR1) per connection, Go servers")
	fmt.Fprintln(w, "only. kern/conn: growth of the kernel's slab (/proc/meminfo, system-wide) per connection, halved: one end of a")
	fmt.Fprintln(w, "loopback connection; socket buffers of idle connections hold nothing. limit: min(server's, generator's) soft")
	fmt.Fprintln(w, "RLIMIT_NOFILE; the probe opens limit-200. 1M conns: (RSS/conn + kern/conn) x 1,000,000 from the probe's figures.")
	fmt.Fprintf(w, "idle section: %.1fs, load average at end: %s\n", time.Since(t0).Seconds(), loadAvg())
}

func errOr(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func goStr(r idleResult) string {
	if r.goKB < 0 {
		return "-"
	}
	return bytesStr(r.per(r.goKB))
}

func bytesStr(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 10<<10:
		return fmt.Sprintf("%.1f KiB", b/1024)
	default:
		return fmt.Sprintf("%.0f B", b)
	}
}

func gib(b float64) string { return fmt.Sprintf("%.2f GiB", b/(1<<30)) }
