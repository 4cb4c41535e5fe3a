package inspect

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"sync"
	"time"

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// LagSeries is a loop's recent scheduling lag: how long a callback posted
// to the loop waited before it ran, sampled once per Monitor interval.
type LagSeries struct {
	Loop    uint64          `json:"loop"`
	Samples []time.Duration `json:"samples_ns"` // oldest first
}

// MonitorOption configures NewMonitor.
type MonitorOption func(*Monitor)

// WithInterval sets how often a Monitor samples each loop's scheduling
// lag and installs its instrument on new loops (default one second).
func WithInterval(d time.Duration) MonitorOption {
	return func(m *Monitor) {
		if d > 0 {
			m.interval = d
		}
	}
}

// WithSlowStep sets how long a step may hold a loop before the Monitor
// records it as slow, with its task's name and stack (default
// aio.SlowStep, asyncio's slow_callback_duration).
func WithSlowStep(d time.Duration) MonitorOption {
	return func(m *Monitor) {
		if d > 0 {
			m.slow = d
		}
	}
}

// WithLogger sets where the Monitor logs the advisor's findings, one line
// each, the first time it makes them (default slog.Default()).
func WithLogger(l *slog.Logger) MonitorOption {
	return func(m *Monitor) {
		if l != nil {
			m.log = l
		}
	}
}

// WithFlightRecorder keeps a runtime/trace flight recorder running while
// the Monitor runs and, when it sees a slow step, writes the recorder's
// last seconds of execution trace into dir (at most one file every ten
// seconds), named in the slow step's record: `go tool trace FILE` shows
// what the loop and every goroutine did before and during the step. The
// runtime allows one flight recorder at a time: if another is running,
// the Monitor logs why and records none.
func WithFlightRecorder(dir string) MonitorOption {
	return func(m *Monitor) { m.traceDir = dir }
}

// SlowStep is the evidence of a step that held its loop past the slow
// threshold: which task, for how long so far, what its goroutine was
// doing, and the flight recorder's trace when one runs.
type SlowStep struct {
	Loop uint64    `json:"loop"`
	At   time.Time `json:"at"`
	aio.StepInfo
	Trace string `json:"trace,omitempty"` // a runtime/trace file of the seconds before
}

// lagKeep is how many lag samples a Monitor keeps per loop, slowKeep how
// many slow steps.
const (
	lagKeep  = 120
	slowKeep = 16
)

// Monitor watches every loop of the process while it runs: it installs
// an instrument on each (so loops are timed: their snapshots carry step
// timings, and the advisor reads them) and samples each loop's scheduling
// lag. It is an http.Handler serving a live page of it all at its root
// (the page polls the same handler), and the data as JSON at
// snapshot.json, and as text at ps and pstree (what `duet ps` and `duet
// pstree` print). Mount it as net/http/pprof is mounted:
//
//	m := inspect.NewMonitor()
//	defer m.Close()
//	http.Handle("/debug/duet/", http.StripPrefix("/debug/duet", m))
//
// The page is read-only and self-contained (no external assets). Close
// stops the sampling and removes the instruments.
type Monitor struct {
	interval time.Duration
	slow     time.Duration
	log      *slog.Logger
	traceDir string
	fr       *trace.FlightRecorder
	lastDump time.Time

	mu       sync.Mutex
	advisors map[*aio.Loop]*advisor
	pools    poolAdvisor
	timed    map[*thread.Pool]bool // pools this Monitor turned timing on for
	lag      map[uint64][]time.Duration
	probing  map[uint64]time.Time // loops with a lag probe outstanding, since when
	slowLog  []SlowStep
	lastSlow map[uint64]stepKey // loop → the last slow step recorded, so that one step is recorded once
	logged   map[string]bool    // flags logged already

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewMonitor starts a Monitor.
func NewMonitor(opts ...MonitorOption) *Monitor {
	m := &Monitor{
		interval: time.Second,
		slow:     aio.SlowStep,
		log:      slog.Default(),
		lastSlow: map[uint64]stepKey{},
		logged:   map[string]bool{},
		advisors: map[*aio.Loop]*advisor{},
		pools:    poolAdvisor{pools: map[*thread.Pool]*poolWatch{}},
		timed:    map[*thread.Pool]bool{},
		lag:      map[uint64][]time.Duration{},
		probing:  map[uint64]time.Time{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	if m.traceDir != "" {
		m.fr = trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second})
		if err := m.fr.Start(); err != nil {
			m.log.Warn("duet inspect: no flight recorder for slow steps", "err", err)
			m.fr = nil
		}
	}
	m.sample()
	go m.run()
	return m
}

// Close stops the Monitor and uninstalls its instruments. The handler
// still answers afterwards, without lag or advisor data.
func (m *Monitor) Close() error {
	m.once.Do(func() {
		close(m.stop)
		<-m.done
		if m.fr != nil {
			m.fr.Stop()
		}
		m.mu.Lock()
		for l, a := range m.advisors {
			l.RemoveInstrument(a)
		}
		clear(m.advisors)
		for p := range m.timed {
			p.SetTimed(false)
		}
		clear(m.timed)
		m.mu.Unlock()
	})
	return nil
}

func (m *Monitor) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	// Slow steps are looked for twice per threshold, so that every step
	// longer than 1.5 thresholds is seen while it runs: two atomic loads
	// per loop, and a stack dump only when one is found.
	steps := time.NewTicker(max(m.slow/2, time.Millisecond))
	defer steps.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sample()
		case <-steps.C:
			m.checkSteps()
		}
	}
}

// checkSteps looks for a step holding a watched loop past the threshold.
func (m *Monitor) checkSteps() {
	now := time.Now()
	m.mu.Lock()
	type watched struct {
		l *aio.Loop
		a *advisor
	}
	ws := make([]watched, 0, len(m.advisors))
	for l, a := range m.advisors {
		ws = append(ws, watched{l, a})
	}
	m.mu.Unlock()
	for _, w := range ws {
		if st, ok := w.l.StepNow(m.slow); ok {
			m.sawSlowStep(w.l.ID(), w.a, st, now)
		}
	}
}

// sample installs the advisor on loops not seen yet and probes each
// running loop's lag: one probe outstanding per loop, so a blocked loop
// shows a growing lag instead of a pile of probes.
func (m *Monitor) sample() {
	now := time.Now()
	live := map[*aio.Loop]bool{}
	for _, l := range aio.Loops() {
		live[l] = true
		id := l.ID()
		m.mu.Lock()
		if m.advisors[l] == nil {
			a := newAdvisor(id)
			m.advisors[l] = a
			l.AddInstrument(a)
		}
		since, pending := m.probing[id]
		if pending {
			m.recordLocked(id, now.Sub(since)) // still blocked: the lag grows
		} else if l.IsRunning() {
			m.probing[id] = now
		}
		m.mu.Unlock()
		if pending || !l.IsRunning() {
			continue
		}
		_, err := l.CallSoonThreadsafe(func() {
			d := time.Since(now)
			m.mu.Lock()
			delete(m.probing, id)
			m.recordLocked(id, d)
			m.mu.Unlock()
		})
		if err != nil {
			m.mu.Lock()
			delete(m.probing, id)
			m.mu.Unlock()
		}
	}
	pools := thread.Pools()
	listed := make(map[*thread.Pool]bool, len(pools))
	m.mu.Lock()
	var watching []*advisor
	for l, a := range m.advisors {
		watching = append(watching, a)
		if !live[l] {
			delete(m.advisors, l)
			delete(m.lag, l.ID())
			delete(m.probing, l.ID())
		}
	}
	for _, p := range pools {
		listed[p] = true
		if !m.timed[p] && !p.Stats().Timed {
			p.SetTimed(true)
			m.timed[p] = true
		}
	}
	for p := range m.timed {
		if !listed[p] {
			delete(m.timed, p) // shut down: not kept alive by the Monitor
		}
	}
	m.mu.Unlock()
	m.pools.sample(pools)
	for _, a := range watching {
		for _, f := range a.flags(now) {
			m.logFlag(f)
		}
	}
	for _, f := range m.pools.flags() {
		m.logFlag(f)
	}
}

// sawSlowStep records the evidence of a slow step once per step, dumps
// the flight recorder's window, and tells the advisor.
func (m *Monitor) sawSlowStep(loop uint64, a *advisor, st aio.StepInfo, now time.Time) {
	key := stepKey{st.Task, st.Started}
	m.mu.Lock()
	if last, ok := m.lastSlow[loop]; ok && last == key {
		m.mu.Unlock()
		return // the same step, still running
	}
	m.lastSlow[loop] = key
	rec := SlowStep{Loop: loop, At: now, StepInfo: st}
	if m.fr != nil && now.Sub(m.lastDump) >= 10*time.Second {
		m.lastDump = now
		rec.Trace = m.dumpTrace(loop, st)
	}
	m.slowLog = append(m.slowLog, rec)
	if len(m.slowLog) > slowKeep {
		m.slowLog = m.slowLog[len(m.slowLog)-slowKeep:]
	}
	m.mu.Unlock()
	if f, isNew := a.sawStep(st); isNew {
		m.logFlag(f)
	}
}

// stepKey tells one step from another: its task and when it began.
type stepKey struct {
	task  uint64
	start time.Time
}

// dumpTrace writes the flight recorder's window to a file in traceDir.
func (m *Monitor) dumpTrace(loop uint64, st aio.StepInfo) string {
	name := filepath.Join(m.traceDir, fmt.Sprintf("duet-slow-step-loop%d-task%d-%s.trace", loop, st.Task, time.Now().Format("150405.000")))
	f, err := os.Create(name)
	if err != nil {
		m.log.Warn("duet inspect: cannot write the flight recorder's trace", "err", err)
		return ""
	}
	defer f.Close()
	if _, err := m.fr.WriteTo(f); err != nil {
		m.log.Warn("duet inspect: cannot write the flight recorder's trace", "err", err)
		return ""
	}
	return name
}

// logFlag logs an advisor's finding, once.
func (m *Monitor) logFlag(f Flag) {
	key := fmt.Sprint(f.Loop, "/", f.Task, "/", f.Pool, "/", f.Kind)
	m.mu.Lock()
	seen := m.logged[key]
	m.logged[key] = true
	m.mu.Unlock()
	if !seen {
		if f.Pool != "" {
			m.log.Warn("duet advisor: "+f.Kind, "pool", f.Pool, "advice", f.Advice, "evidence", f.Evidence)
		} else {
			m.log.Warn("duet advisor: "+f.Kind+" task", "loop", f.Loop, "task", f.Task, "name", f.Name, "advice", f.Advice, "evidence", f.Evidence)
		}
	}
}

func (m *Monitor) recordLocked(loop uint64, d time.Duration) {
	s := append(m.lag[loop], d)
	if len(s) > lagKeep {
		s = s[len(s)-lagKeep:]
	}
	m.lag[loop] = s
}

// Snapshot is Take, with the Monitor's lag samples and advisor flags.
func (m *Monitor) Snapshot(ctx context.Context, opts ...aio.SnapshotOption) (Snapshot, error) {
	s, err := Take(ctx, opts...)
	now := time.Now()
	m.mu.Lock()
	for _, l := range s.Loops {
		if samples := m.lag[l.ID]; len(samples) > 0 {
			s.Lag = append(s.Lag, LagSeries{Loop: l.ID, Samples: append([]time.Duration(nil), samples...)})
		}
	}
	advisors := make([]*advisor, 0, len(m.advisors))
	for _, a := range m.advisors {
		advisors = append(advisors, a)
	}
	m.mu.Unlock()
	for _, a := range advisors {
		s.Flags = append(s.Flags, a.flags(now)...)
	}
	s.Flags = append(s.Flags, m.pools.flags()...)
	m.mu.Lock()
	s.SlowSteps = append([]SlowStep(nil), m.slowLog...)
	m.mu.Unlock()
	return s, err
}

//go:embed page.html
var page []byte

// ServeHTTP serves the live page at the root, the snapshot as JSON at
// snapshot.json and as text at ps and pstree, each relative to where the
// Monitor is mounted; ?stacks=1 adds the tasks' stacks (aio.WithStacks).
// Only GET and HEAD.
func (m *Monitor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "duet inspect: read-only (GET or HEAD)", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	switch name {
	case "", "index.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
		return
	case "snapshot.json", "ps", "pstree":
	default:
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var opts []aio.SnapshotOption
	if r.URL.Query().Get("stacks") != "" {
		opts = append(opts, aio.WithStacks())
	}
	s, err := m.Snapshot(ctx, opts...)
	if err != nil && len(s.Loops) == 0 && len(s.Threads) == 0 {
		http.Error(w, "duet inspect: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	switch name {
	case "snapshot.json":
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		enc.Encode(s)
	case "ps":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		s.WritePS(w)
	case "pstree":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		s.WriteTree(w)
	}
}
