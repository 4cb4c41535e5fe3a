package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

func (c config) describe(w workload) string {
	p := c.paramsFor(w)
	switch w {
	case ioBound:
		return fmt.Sprintf("%d HTTP requests, %d in flight, server latency %v", p.N, p.Concurrency, p.Latency)
	case cpuBound:
		return fmt.Sprintf("%d chunks of %d numbers", p.N, p.ChunkSize)
	default:
		return fmt.Sprintf("%d items, %d in flight: a request (latency %v), then a chunk of %d numbers", p.N, p.Concurrency, p.Latency, p.MixedChunk)
	}
}

func (e env) describe() string {
	s := fmt.Sprintf("%s %s, %d CPUs", e.GoVersion, e.OS, e.CPUs)
	switch {
	case e.Python != "" && e.Uvloop:
		s += fmt.Sprintf("; CPython %s with uvloop", e.Python)
	case e.Python != "":
		s += fmt.Sprintf("; CPython %s (%s)", e.Python, e.UvNote)
	case e.PyNote != "":
		s += "; CPython models " + e.PyNote
	}
	return s
}

func printTable(w io.Writer, c config, e env, results []result) {
	fmt.Fprintf(w, "duet compare: %s\n", e.describe())
	for _, wl := range c.workloads {
		fmt.Fprintf(w, "\n%s: %s\n", wl, c.describe(wl))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "model\twall\tops/s\tCPU\tCPU/op\tpeak RSS\tp50\tp99\tverdict")
		for _, r := range results {
			if r.Workload != wl {
				continue
			}
			if r.Skipped != "" {
				fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", r.Model, r.Skipped)
				continue
			}
			errs := ""
			if r.Errors > 0 {
				errs = fmt.Sprintf(" [%d errors, first: %s]", r.Errors, r.FirstErr)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", r.Model,
				fmtSeconds(r.WallS), fmtCount(r.throughput()), fmtSeconds(r.CPUS),
				fmtPerOp(r.CPUS, r.Ops), fmtBytes(r.PeakRSS), fmtMillis(r.P50), fmtMillis(r.P99), r.Verdict, errs)
		}
		tw.Flush()
	}
}

func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func fmtMillis(ms float64) string {
	d := time.Duration(ms * float64(time.Millisecond))
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

func fmtPerOp(cpu float64, ops int) string {
	if ops == 0 {
		return "-"
	}
	return fmtMillis(cpu * 1000 / float64(ops))
}

func fmtCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.1fk", x/1e3)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

func fmtBytes(b int64) string {
	switch {
	case b <= 0:
		return "n/a"
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	default:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
}
