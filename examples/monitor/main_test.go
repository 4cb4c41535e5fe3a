package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet/examples/internal/demotest"
	"github.com/duet-go/duet/inspect"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The real program: its Monitor serves the pipeline's tasks, and the
// advisor flags the hog; SIGTERM exits with status 0.
func TestMonitorBinary(t *testing.T) {
	srv := demotest.Start(t, "-addr", "127.0.0.1:0", "-hog")
	url := strings.TrimPrefix(srv.Next(t), "inspect at ")
	var s inspect.Snapshot
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		r, err := http.Get(url + "snapshot.json")
		if err != nil {
			t.Fatal(err)
		}
		s = inspect.Snapshot{}
		err = json.NewDecoder(r.Body).Decode(&s)
		r.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Flags) > 0 {
			break
		}
	}
	names := map[string]bool{}
	for _, l := range s.Loops {
		for _, tk := range l.Tasks {
			names[tk.Name] = true
		}
	}
	for _, want := range []string{"producer", "worker-0", "worker-2", "hog"} {
		if !names[want] {
			t.Errorf("no task %q in %v", want, names)
		}
	}
	if len(s.Flags) == 0 || s.Flags[0].Name != "hog" {
		t.Errorf("advisor flags %+v: want the hog", s.Flags)
	}
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	if stderr, err := srv.Wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
}
