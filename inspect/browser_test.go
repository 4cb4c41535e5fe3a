package inspect_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
)

// chromium finds Debian's headless browser. scripts/test.sh installs it
// and sets DUET_REQUIRE_BROWSER, so that CI fails rather than skips.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DUET_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH, and DUET_REQUIRE_BROWSER is set (scripts/test.sh installs Debian's chromium)")
	}
	t.Skip("no chromium on PATH (scripts/test.sh installs it)")
	return ""
}

func headless(ctx context.Context, t *testing.T, bin string, args ...string) string {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

// The live page, in a real browser: it shows the running program's tasks
// as a tree with their waits, and updates itself when they change (a task
// spawned after the page's first fetch appears in the DOM the browser
// ends with). A screenshot is saved as the test's artifact.
func TestPageInBrowser(t *testing.T) {
	bin := chromium(t)
	m := inspect.NewMonitor(inspect.WithInterval(50 * time.Millisecond))
	defer m.Close()
	program(t, func(l *aio.Loop) {
		var fetches atomic.Int32
		late := duet.NewFuture[struct{}]()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "snapshot.json") && fetches.Add(1) == 2 {
				aio.Spawn(l.Context(), func(ctx context.Context) (int, error) {
					_, err := duet.Await(ctx, late)
					return 0, err
				}, aio.WithName("latecomer"))
			}
			http.StripPrefix("/debug/duet", m).ServeHTTP(w, r)
		}))
		defer srv.Close()
		defer late.SetResult(struct{}{})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		url := srv.URL + "/debug/duet/"
		dom := headless(ctx, t, bin, "--virtual-time-budget=4000", "--dump-dom", url)
		for _, want := range []string{"supervisor", "consumer", "Queue.Get", `class="state waiting"`, "latecomer", "pool", "workers"} {
			if !strings.Contains(dom, want) {
				t.Errorf("page DOM lacks %q:\n%.3000s", want, dom)
			}
		}
		if fetches.Load() < 3 {
			t.Errorf("the page fetched snapshot.json %d times: it does not poll", fetches.Load())
		}
		dir := os.Getenv("DUET_ARTIFACTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "duet-artifacts")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(dir, "inspect-page.png")
		headless(ctx, t, bin, "--virtual-time-budget=2000", "--window-size=1100,800", "--screenshot="+shot, url)
		if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
			t.Errorf("no screenshot at %s: %v", shot, err)
		} else {
			t.Logf("screenshot: %s", shot)
		}
	})
}
