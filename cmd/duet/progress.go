package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a compare run is: a bar redrawn in place on a
// terminal, one line per finished run anywhere else (a log, a pipe), so
// that neither fills a file with redraws.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	total int
	n     int
	desc  string
	start time.Time
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("duet compare"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) begin(desc string) {
	p.desc, p.start = desc, time.Now()
	if p.bar != nil {
		p.bar.Describe(desc)
	}
}

func (p *progress) end() {
	p.n++
	if p.bar != nil {
		p.bar.Add(1)
		return
	}
	fmt.Fprintf(p.w, "duet compare: %d/%d %s (%v)\n", p.n, p.total, p.desc, time.Since(p.start).Round(time.Millisecond))
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
