package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
)

// monitorCmd is `duet monitor URL`: a live terminal view of a running
// program's tasks, refreshed in place from its inspect.Monitor, until q or
// Ctrl-C.
func monitorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	every := fs.Duration("every", time.Second, "refresh interval")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: duet monitor [-every 1s] URL

A live view of the tasks of the program that serves inspect.Monitor at URL:
loops, tasks with their state, time on the loop, steps and what they wait
on, and the advisor's flags, refreshed in place.
Keys: s changes the order (tree, state, time on the loop); q or Ctrl-C quits.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("need exactly one URL, got %d arguments", fs.NArg())}
	}
	if *every <= 0 {
		return usageError{fmt.Errorf("-every %v: must be positive", *every)}
	}
	url := fs.Arg(0)
	// The first snapshot before the screen is taken: a wrong URL is a
	// plain error, not a blank screen.
	s, err := fetchSnapshot(ctx, url, false)
	if err != nil {
		return err
	}
	m := monitorModel{ctx: ctx, url: url, every: *every, snap: s, at: time.Now()}
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(stdout), tea.WithInput(os.Stdin))
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
		return nil // Ctrl-C delivered as a signal, or the context ended
	}
	return err
}

type order int

const (
	byTree  order = iota // who spawned whom
	byState              // running, ready, waiting
	byTime               // most time on the loop first
)

func (o order) String() string { return [...]string{"tree", "state", "time on loop"}[o] }

type snapMsg struct {
	s   inspect.Snapshot
	err error
}

type tickMsg struct{}

type monitorModel struct {
	ctx    context.Context
	url    string
	every  time.Duration
	snap   inspect.Snapshot
	at     time.Time
	err    error
	order  order
	width  int
	height int
}

func (m monitorModel) fetch() tea.Cmd {
	return func() tea.Msg {
		s, err := fetchSnapshot(m.ctx, m.url, false)
		return snapMsg{s, err}
	}
}

func (m monitorModel) Init() tea.Cmd {
	return tea.Tick(m.every, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m monitorModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		case "s":
			m.order = (m.order + 1) % 3
		}
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		return m, m.fetch()
	case snapMsg:
		if msg.err != nil {
			m.err = msg.err
		} else {
			m.snap, m.at, m.err = msg.s, time.Now(), nil
		}
		return m, tea.Tick(m.every, func(time.Time) tea.Msg { return tickMsg{} })
	}
	return m, nil
}

func (m monitorModel) View() string {
	var b strings.Builder
	tasks := 0
	for _, l := range m.snap.Loops {
		tasks += len(l.Tasks)
	}
	fmt.Fprintf(&b, "duet monitor %s   %d loops, %d tasks, %d threads   %s\n", m.url, len(m.snap.Loops), tasks, len(m.snap.Threads), m.at.Format("15:04:05"))
	fmt.Fprintf(&b, "order: %s (s: change)   q: quit\n", m.order)
	if m.err != nil {
		fmt.Fprintf(&b, "! %v (showing the last snapshot)\n", m.err)
	}
	for _, f := range m.snap.Flags {
		fmt.Fprintf(&b, "advisor: task %q (%d) is %s: %s\n", f.Name, f.Task, f.Kind, f.Evidence)
	}
	for _, l := range m.snap.Loops {
		lag := ""
		for _, s := range m.snap.Lag {
			if s.Loop == l.ID && len(s.Samples) > 0 {
				lag = fmt.Sprintf(", lag %v", s.Samples[len(s.Samples)-1].Round(time.Microsecond))
			}
		}
		fmt.Fprintf(&b, "\nloop %d: %d iterations, %d steps, %d ready, %d I/O waits%s\n", l.ID, l.Iterations, l.Steps, l.Ready, l.IOWaits, lag)
		fmt.Fprintf(&b, "  %6s  %-28s %-8s %12s %7s  %s\n", "id", "task", "state", "on loop", "steps", "waiting on")
		for _, r := range m.rows(l) {
			name := strings.Repeat("  ", r.depth) + r.t.Name
			fmt.Fprintf(&b, "  %6d  %-28s %-8s %12s %7d  %s\n", r.t.ID, clip(name, 28), r.t.State, r.t.OnLoop.Round(time.Microsecond), r.t.Steps, r.t.WaitingOn)
		}
	}
	out := b.String()
	if m.height > 0 {
		lines := strings.Split(out, "\n")
		if len(lines) > m.height {
			lines = append(lines[:m.height-1], fmt.Sprintf("… %d more lines", len(lines)-m.height+1))
		}
		out = strings.Join(lines, "\n")
	}
	return out
}

type row struct {
	t     aio.TaskInfo
	depth int
}

// rows orders a loop's tasks as m.order says.
func (m monitorModel) rows(l aio.LoopInfo) []row {
	switch m.order {
	case byState, byTime:
		ts := slices.Clone(l.Tasks)
		rank := map[aio.TaskState]int{aio.TaskRunning: 0, aio.TaskReady: 1, aio.TaskWaiting: 2}
		slices.SortStableFunc(ts, func(a, b aio.TaskInfo) int {
			if m.order == byTime {
				return int(b.OnLoop - a.OnLoop)
			}
			return rank[a.State] - rank[b.State]
		})
		out := make([]row, len(ts))
		for i, t := range ts {
			out[i] = row{t: t}
		}
		return out
	}
	var out []row
	for _, n := range inspect.Tree(l) {
		out = append(out, row{n.Task, n.Depth})
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
