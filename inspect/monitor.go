package inspect

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/duet-go/duet/aio"
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

// lagKeep is how many lag samples a Monitor keeps per loop.
const lagKeep = 120

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

	mu       sync.Mutex
	advisors map[*aio.Loop]*advisor
	lag      map[uint64][]time.Duration
	probing  map[uint64]time.Time // loops with a lag probe outstanding, since when

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewMonitor starts a Monitor.
func NewMonitor(opts ...MonitorOption) *Monitor {
	m := &Monitor{
		interval: time.Second,
		advisors: map[*aio.Loop]*advisor{},
		lag:      map[uint64][]time.Duration{},
		probing:  map[uint64]time.Time{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		o(m)
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
		m.mu.Lock()
		for l, a := range m.advisors {
			l.RemoveInstrument(a)
		}
		clear(m.advisors)
		m.mu.Unlock()
	})
	return nil
}

func (m *Monitor) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sample()
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
		m.mu.Lock()
		if m.advisors[l] == nil {
			a := newAdvisor(l.ID())
			m.advisors[l] = a
			l.AddInstrument(a)
		}
		since, pending := m.probing[l.ID()]
		if pending {
			m.recordLocked(l.ID(), now.Sub(since))
			m.mu.Unlock()
			continue
		}
		m.mu.Unlock()
		if !l.IsRunning() {
			continue
		}
		id := l.ID()
		m.mu.Lock()
		m.probing[id] = now
		m.mu.Unlock()
		if _, err := l.CallSoonThreadsafe(func() {
			d := time.Since(now)
			m.mu.Lock()
			delete(m.probing, id)
			m.recordLocked(id, d)
			m.mu.Unlock()
		}); err != nil {
			m.mu.Lock()
			delete(m.probing, id)
			m.mu.Unlock()
		}
	}
	m.mu.Lock()
	for l := range m.advisors {
		if !live[l] {
			delete(m.advisors, l)
			delete(m.lag, l.ID())
			delete(m.probing, l.ID())
		}
	}
	m.mu.Unlock()
}

func (m *Monitor) recordLocked(loop uint64, d time.Duration) {
	s := append(m.lag[loop], d)
	if len(s) > lagKeep {
		s = s[len(s)-lagKeep:]
	}
	m.lag[loop] = s
}

// Snapshot is Take, with the Monitor's lag samples and advisor flags.
func (m *Monitor) Snapshot(ctx context.Context) (Snapshot, error) {
	s, err := Take(ctx)
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
	return s, err
}

//go:embed page.html
var page []byte

// ServeHTTP serves the live page at the root, the snapshot as JSON at
// snapshot.json and as text at ps and pstree, each relative to where the
// Monitor is mounted. Only GET and HEAD.
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
	s, err := m.Snapshot(ctx)
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
