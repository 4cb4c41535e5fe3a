package inspect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
