package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
)

// tmux runs a tmux command, failing the test on error.
func tmux(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// waitPane polls the pane until it shows want.
func waitPane(t *testing.T, session, want string) string {
	t.Helper()
	var pane string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		pane = tmux(t, "capture-pane", "-p", "-t", session)
		if strings.Contains(pane, want) {
			return pane
		}
	}
	t.Fatalf("the pane never showed %q:\n%s", want, pane)
	return ""
}

// duet monitor in a real terminal (tmux): it shows the program's tasks,
// refreshes in place when they change, reorders on s, and exits with
// status 0 on q.
func TestMonitorInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("DUET_REQUIRE_TMUX") != "" {
			t.Fatal("no tmux on PATH, and DUET_REQUIRE_TMUX is set (scripts/test.sh installs it)")
		}
		t.Skip("no tmux on PATH (scripts/test.sh installs it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "duet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	m := inspect.NewMonitor(inspect.WithInterval(50 * time.Millisecond))
	defer m.Close()
	srv := httptest.NewServer(http.StripPrefix("/debug/duet", m))
	defer srv.Close()
	session := "duet-monitor-test-" + filepath.Base(dir)
	exitFile := filepath.Join(dir, "exit")
	stop := duet.NewFuture[struct{}]()
	loops := make(chan *aio.Loop, 1)
	ran := make(chan error, 1)
	go func() {
		ran <- aio.Run(context.Background(), func(ctx context.Context) error {
			for _, name := range []string{"alpha", "beta"} {
				aio.Spawn(ctx, func(ctx context.Context) (int, error) {
					_, err := duet.Await(ctx, stop)
					return 0, err
				}, aio.WithName(name))
			}
			loops <- aio.LoopOf(ctx)
			_, err := duet.Await(ctx, stop)
			return err
		})
	}()
	l := <-loops
	defer func() {
		stop.SetResult(struct{}{})
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()

	tmux(t, "new-session", "-d", "-s", session, "-x", "120", "-y", "30",
		bin+" monitor -every 100ms "+srv.URL+"/debug/duet/; echo $? > "+exitFile)
	defer exec.Command("tmux", "kill-session", "-t", session).Run()
	pane := waitPane(t, session, "beta")
	if !strings.Contains(pane, "alpha") || !strings.Contains(pane, "order: tree") {
		t.Errorf("first screen:\n%s", pane)
	}
	aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
		_, err := duet.Await(ctx, stop)
		return 0, err
	}, aio.WithName("gamma"))
	waitPane(t, session, "gamma") // refreshed in place
	tmux(t, "send-keys", "-t", session, "s")
	waitPane(t, session, "order: state")
	tmux(t, "send-keys", "-t", session, "s")
	waitPane(t, session, "order: time on loop")
	tmux(t, "send-keys", "-t", session, "q")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			if strings.TrimSpace(string(b)) != "0" {
				t.Errorf("duet monitor exited with status %s after q", b)
			}
			return
		}
	}
	t.Error("duet monitor did not exit after q")
}

func TestMonitorBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"monitor"}, 2, "need exactly one URL"},
		{[]string{"monitor", "-every", "0s", "http://127.0.0.1:1/"}, 2, "-every 0s: must be positive"},
		{[]string{"monitor", "http://127.0.0.1:1/debug/duet/"}, 1, "cannot reach"},
	} {
		var o, e strings.Builder
		if code := run(t.Context(), tc.args, &o, &e); code != tc.code || !strings.Contains(e.String(), tc.want) {
			t.Errorf("duet %q: exit %d, %q; want exit %d and %q", tc.args, code, e.String(), tc.code, tc.want)
		}
	}
}
