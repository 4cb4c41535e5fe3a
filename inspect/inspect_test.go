package inspect_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
	"github.com/duet-go/duet/thread"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// program runs a loop with a few waiting tasks until the returned stop is
// called, and a pool; body runs on a goroutine while it does.
func program(t *testing.T, body func(l *aio.Loop)) {
	t.Helper()
	pool, err := thread.NewPool(2, thread.WithNamePrefix("workers"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Shutdown(true, false)
	stop := duet.NewFuture[struct{}]()
	q := duet.NewQueue[int](0)
	err = aio.Run(context.Background(), func(ctx context.Context) error {
		aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			aio.Spawn(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) }, aio.WithName("consumer"))
			return 0, duet.Sleep(ctx, time.Hour)
		}, aio.WithName("supervisor"))
		for range 2 { // supervisor, then consumer, take their first steps
			if err := duet.Sleep(ctx, 0); err != nil {
				return err
			}
		}
		l := aio.LoopOf(ctx)
		go func() {
			defer stop.SetResult(struct{}{})
			body(l)
		}()
		_, err := duet.Await(ctx, stop)
		for _, tk := range l.Tasks() {
			if tk.Name() != "main" {
				tk.Cancel("end of test")
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTakeTreeAndPS(t *testing.T) {
	program(t, func(l *aio.Loop) {
		s, err := inspect.Take(context.Background())
		if err != nil {
			t.Error(err)
			return
		}
		var tree, ps strings.Builder
		s.WriteTree(&tree)
		s.WritePS(&ps)
		for _, want := range []string{
			"(running,",
			"└── main (task 1) waiting: Await",
			"supervisor (task 2) waiting: Sleep until",
			"        └── consumer (task 3) waiting: Queue.Get", // under supervisor, under main
			"pool workers: 0 of 2 workers live",
		} {
			if !strings.Contains(tree.String(), want) {
				t.Errorf("tree lacks %q:\n%s", want, tree.String())
			}
		}
		if !strings.Contains(ps.String(), "consumer") || !strings.Contains(ps.String(), "Queue.Get") {
			t.Errorf("ps output:\n%s", ps.String())
		}
	})
}

// The Monitor's advisor flags a task whose steps hold the loop, with its
// evidence; its handler serves the page, the JSON and the text views.
func TestMonitor(t *testing.T) {
	m := inspect.NewMonitor(inspect.WithInterval(5 * time.Millisecond))
	defer m.Close()
	srv := httptest.NewServer(http.StripPrefix("/debug/duet", m))
	defer srv.Close()
	get := func(path string) (int, string) {
		r, err := http.Get(srv.URL + "/debug/duet/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	program(t, func(l *aio.Loop) {
		hog := aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
			for ctx.Err() == nil {
				for t0 := time.Now(); time.Since(t0) < 15*time.Millisecond; {
				}
				if err := duet.Sleep(ctx, 0); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}, aio.WithName("hog"))
		defer hog.Cancel("done")
		var s inspect.Snapshot
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			code, body := get("snapshot.json")
			if code != http.StatusOK {
				t.Errorf("snapshot.json: %d %s", code, body)
				return
			}
			s = inspect.Snapshot{}
			if err := json.Unmarshal([]byte(body), &s); err != nil {
				t.Errorf("snapshot.json: %v", err)
				return
			}
			if len(s.Flags) > 0 && len(s.Lag) > 0 {
				break
			}
		}
		if len(s.Flags) != 1 || s.Flags[0].Name != "hog" || s.Flags[0].Kind != "cpu-bound" || !strings.Contains(s.Flags[0].Evidence, "held the loop") {
			t.Errorf("advisor flags %+v: want hog flagged cpu-bound with evidence", s.Flags)
		}
		if len(s.Lag) == 0 || len(s.Lag[0].Samples) == 0 {
			t.Errorf("no lag samples: %+v", s.Lag)
		}
		if len(s.Loops) == 0 || !s.Loops[0].Timed {
			t.Errorf("a monitored loop is not timed: %+v", s.Loops)
		}
		if code, body := get(""); code != http.StatusOK || !strings.Contains(body, "<title>duet inspect</title>") {
			t.Errorf("page: %d %.200s", code, body)
		}
		if code, body := get("pstree"); code != http.StatusOK || !strings.Contains(body, "hog (task") || !strings.Contains(body, "advisor: ") {
			t.Errorf("pstree: %d %s", code, body)
		}
		if code, body := get("ps"); code != http.StatusOK || !strings.Contains(body, "consumer") {
			t.Errorf("ps: %d %s", code, body)
		}
		if code, _ := get("nothing"); code != http.StatusNotFound {
			t.Errorf("unknown path: %d, want 404", code)
		}
		r, err := http.Post(srv.URL+"/debug/duet/snapshot.json", "text/plain", nil)
		if err == nil {
			r.Body.Close()
			if r.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST: %d, want 405", r.StatusCode)
			}
		}
	})
}

// A step that blocks the loop in a Go call (time.Sleep) is recorded as a
// slow step with its stack, flagged "blocking" with the evidence, logged
// once, and the flight recorder's trace of it is written.
func TestMonitorBlockingStep(t *testing.T) {
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	dir := t.TempDir()
	m := inspect.NewMonitor(inspect.WithInterval(10*time.Millisecond), inspect.WithSlowStep(50*time.Millisecond),
		inspect.WithLogger(logger), inspect.WithFlightRecorder(dir))
	defer m.Close()
	program(t, func(l *aio.Loop) {
		blocker := aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
			for ctx.Err() == nil {
				time.Sleep(150 * time.Millisecond) // the mistake: a blocking sleep in a step
				if err := duet.Sleep(ctx, time.Millisecond); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}, aio.WithName("blocker"))
		defer blocker.Cancel("done")
		var s inspect.Snapshot
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			var err error
			if s, err = m.Snapshot(context.Background()); err != nil {
				t.Error(err)
				return
			}
			if hasFlag(s, "blocker", "blocking") && len(s.SlowSteps) > 0 {
				break
			}
		}
		if !hasFlag(s, "blocker", "blocking") {
			t.Fatalf("no blocking flag for the blocker: %+v", s.Flags)
		}
		for _, f := range s.Flags {
			if f.Kind == "blocking" && (!strings.Contains(f.Evidence, `"sleep"`) || !strings.Contains(f.Evidence, "time.Sleep")) {
				t.Errorf("evidence %q: want the goroutine's state and the call", f.Evidence)
			}
		}
		st := s.SlowSteps[len(s.SlowSteps)-1]
		if st.Name != "blocker" || st.Held < 50*time.Millisecond || !strings.Contains(st.Stack, "inspect_test.TestMonitorBlockingStep") {
			t.Errorf("slow step %+v: want the blocker's, with its stack", st)
		}
		if st.Trace == "" {
			t.Errorf("no flight recorder trace in %+v", s.SlowSteps)
		} else if fi, err := os.Stat(st.Trace); err != nil || fi.Size() == 0 || filepath.Dir(st.Trace) != dir {
			t.Errorf("trace %s: %v", st.Trace, err)
		}
	})
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logs.String(), "duet advisor: blocking task"); n != 1 {
		t.Errorf("%d log lines for the blocking task, want 1:\n%s", n, logs.String())
	}
}

func hasFlag(s inspect.Snapshot, name, kind string) bool {
	for _, f := range s.Flags {
		if f.Name == name && f.Kind == kind {
			return true
		}
	}
	return false
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// The advisor flags a pool whose busy workers are found waiting (here in
// time.Sleep, standing for I/O), and not one whose workers compute; the
// Monitor times the pools it watches.
func TestMonitorWaitingPool(t *testing.T) {
	m := inspect.NewMonitor(inspect.WithInterval(5*time.Millisecond), inspect.WithLogger(slog.New(slog.DiscardHandler)))
	defer m.Close()
	sleepy, err := thread.NewPool(4, thread.WithNamePrefix("sleepy"))
	if err != nil {
		t.Fatal(err)
	}
	defer sleepy.Shutdown(true, false)
	busy, err := thread.NewPool(1, thread.WithNamePrefix("busy"))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Shutdown(true, false)
	stop := make(chan struct{})
	defer close(stop)
	keep := func(p *thread.Pool, job func()) {
		for range p.Size() {
			p.Go(context.Background(), func(ctx context.Context) error {
				for {
					select {
					case <-stop:
						return nil
					default:
						job()
					}
				}
			})
		}
	}
	keep(sleepy, func() { time.Sleep(20 * time.Millisecond) })
	keep(busy, func() {
		for t0 := time.Now(); time.Since(t0) < 5*time.Millisecond; {
		}
	})
	var s inspect.Snapshot
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s, err = m.Snapshot(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(s.Flags) > 0 {
			break
		}
	}
	var flagged []string
	for _, f := range s.Flags {
		if f.Pool != "" {
			flagged = append(flagged, f.Pool)
			if f.Kind != "waiting pool" || !strings.Contains(f.Evidence, "sleep") {
				t.Errorf("flag %+v: want a waiting pool, the sleep in evidence", f)
			}
		}
	}
	if len(flagged) != 1 || flagged[0] != "sleepy" {
		t.Errorf("flagged pools %v, want [sleepy]", flagged)
	}
	for _, p := range s.Pools {
		if !p.Timed {
			t.Errorf("pool %s not timed by the Monitor", p.Name)
		}
	}
}
