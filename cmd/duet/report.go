package main

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"slices"
	"time"

	"github.com/go-analyze/charts"
)

// A chart of the report: one figure of every model of a workload.
type chartSpec struct {
	title string
	unit  string
	value func(r result) float64
}

var chartSpecs = []chartSpec{
	{"throughput", "operations/s, higher is better", result.throughput},
	{"CPU per operation", "µs, lower is better", func(r result) float64 {
		if r.Ops == 0 {
			return 0
		}
		return r.CPUS * 1e6 / float64(r.Ops)
	}},
	{"p99 latency", "ms, lower is better", func(r result) float64 { return r.P99 }},
	{"peak memory", "MiB, lower is better", func(r result) float64 { return float64(r.PeakRSS) / (1 << 20) }},
}

// barChart draws one horizontal bar per model as SVG with go-analyze/charts,
// the first model at the top, the value axis from zero so that bar lengths
// compare.
func barChart(title, unit string, labels []string, values []float64) (template.HTML, error) {
	// The category axis draws its first label at the bottom.
	labels, values = slices.Clone(labels), slices.Clone(values)
	slices.Reverse(labels)
	slices.Reverse(values)
	opt := charts.NewBarChartOptionWithData([][]float64{values})
	opt.Horizontal = true
	opt.Title = charts.TitleOption{Text: title, Subtext: unit}
	opt.CategoryAxis.Labels = labels
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0)}}
	opt.SeriesList[0].Label.Show = charts.Ptr(true)
	opt.Padding = charts.NewBoxEqual(12)
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: 560, Height: 90 + 28*len(labels)})
	if err := p.BarChart(opt); err != nil {
		return "", fmt.Errorf("chart %q: %w", title, err)
	}
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("chart %q: %w", title, err)
	}
	// The SVG is the library's output, trusted: it is embedded as is.
	return template.HTML(b), nil
}

type reportWorkload struct {
	Name, Describe, Params string
	Rows                   []reportRow
	Charts                 []template.HTML
}

type reportRow struct {
	Model, Describe                               string
	Wall, Ops, CPU, PerOp, RSS, P50, P99, Verdict string
	Skipped                                       string
}

func writeReport(path string, c config, e env, results []result) error {
	var ws []reportWorkload
	for _, w := range c.workloads {
		rw := reportWorkload{Name: string(w), Describe: w.describe(), Params: c.describe(w)}
		var labels []string
		var ran []result
		for _, r := range results {
			if r.Workload != w {
				continue
			}
			row := reportRow{Model: string(r.Model), Describe: r.Model.describe(), Skipped: r.Skipped}
			if r.Skipped == "" {
				row.Wall, row.Ops, row.CPU = fmtSeconds(r.WallS), fmtCount(r.throughput()), fmtSeconds(r.CPUS)
				row.PerOp, row.RSS = fmtPerOp(r.CPUS, r.Ops), fmtBytes(r.PeakRSS)
				row.P50, row.P99, row.Verdict = fmtMillis(r.P50), fmtMillis(r.P99), r.Verdict
				if r.Errors > 0 {
					row.Verdict += fmt.Sprintf(" [%d errors, first: %s]", r.Errors, r.FirstErr)
				}
				labels = append(labels, string(r.Model))
				ran = append(ran, r)
			}
			rw.Rows = append(rw.Rows, row)
		}
		if len(ran) > 0 {
			for _, spec := range chartSpecs {
				vals := make([]float64, len(ran))
				for i, r := range ran {
					vals[i] = spec.value(r)
				}
				svg, err := barChart(spec.title, spec.unit, labels, vals)
				if err != nil {
					return err
				}
				rw.Charts = append(rw.Charts, svg)
			}
		}
		ws = append(ws, rw)
	}
	var buf bytes.Buffer
	err := reportTmpl.Execute(&buf, map[string]any{
		"Env":       e.describe(),
		"When":      time.Now().Format(time.RFC1123),
		"Workloads": ws,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

var reportTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>duet compare</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child,td.v{text-align:left}td.v{font-size:90%;color:#444}td{white-space:nowrap}td.v{white-space:normal}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts svg{width:560px;height:auto}.muted{color:#777}th:last-child{text-align:left}
</style></head><body>
<h1>duet compare</h1>
<p>{{.Env}} &middot; {{.When}}</p>
<p class="muted">Each row is one model running the workload in a process of its own against the same
in-process HTTP server; CPU time and peak memory are that process's (getrusage), latency is per
operation from its start to its end. The verdict reads the cores the run kept busy against what the
model can use, and for the loop models the share of the loop's time that computation held it.</p>
{{range .Workloads}}
<h2>{{.Name}}: {{.Describe}}</h2>
<p>{{.Params}}</p>
<table><tr><th>model</th><th>wall</th><th>ops/s</th><th>CPU</th><th>CPU/op</th><th>peak RSS</th><th>p50</th><th>p99</th><th>verdict</th></tr>
{{range .Rows}}<tr title="{{.Describe}}"><td>{{.Model}}</td>{{if .Skipped}}<td colspan="7"></td><td class="v">{{.Skipped}}</td>{{else}}<td>{{.Wall}}</td><td>{{.Ops}}</td><td>{{.CPU}}</td><td>{{.PerOp}}</td><td>{{.RSS}}</td><td>{{.P50}}</td><td>{{.P99}}</td><td class="v">{{.Verdict}}</td>{{end}}</tr>
{{end}}</table>
<div class="charts">{{range .Charts}}<div>{{.}}</div>{{end}}</div>
{{end}}
<h2>Models</h2><ul>
` + modelList() + `</ul>
</body></html>
`))

func modelList() string {
	var b bytes.Buffer
	for _, m := range append(goModels, pyModels...) {
		fmt.Fprintf(&b, "<li><b>%s</b>: %s</li>\n", m, template.HTMLEscapeString(m.describe()))
	}
	return b.String()
}
