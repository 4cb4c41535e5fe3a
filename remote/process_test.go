package remote_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
	"github.com/duet-go/duet/remote/internal/demotasks"
)

// buildWorker builds the duet-worker command into a test directory.
func buildWorker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "duet-worker")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/duet-worker")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// workerProc is a duet-worker process and the lines it prints.
type workerProc struct {
	cmd   *exec.Cmd
	lines chan string
}

// startWorker starts a worker process on url and waits for its "ready".
func startWorker(t *testing.T, bin, url string, args ...string) *workerProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-url", url, "-ack-wait", "1s"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	p := &workerProc{cmd: cmd, lines: make(chan string, 1<<16)}
	go func() {
		defer close(p.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			p.lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	select {
	case l := <-p.lines:
		if l != "ready" {
			t.Fatalf("worker said %q first; want ready", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker process did not get ready in 30s")
	}
	return p
}

// kill9 kills p with SIGKILL and waits for it: no chance to hand back or
// ack anything.
func (p *workerProc) kill9(t *testing.T) {
	must(t, p.cmd.Process.Kill())
	p.cmd.Wait()
}

// listenEngine is an embedded engine other processes can join.
func listenEngine(t *testing.T, opts ...remote.EngineOption) *remote.Engine {
	return newEngine(t, append([]remote.EngineOption{remote.WithListen("127.0.0.1:0"), remote.WithAckWait(time.Second)}, opts...)...)
}

func TestKilledWorkersTaskRunsElsewhere(t *testing.T) {
	bin := buildWorker(t)
	e := listenEngine(t)
	c, err := remote.NewClient(e)
	must(t, err)
	defer c.Shutdown(true, true)
	a := startWorker(t, bin, e.URL(), "-slots", "1", "-v")
	ctx := ctxT(t)
	f := remote.Submit(ctx, c, demotasks.Hold, demotasks.HoldArgs{Ms: 1500, Tag: "victim"})
	if l := <-a.lines; l != "start victim" {
		t.Fatalf("worker A said %q; want start victim", l)
	}
	a.kill9(t)
	killed := time.Now()
	b := startWorker(t, bin, e.URL(), "-slots", "1")
	r, err := duet.Await(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if r.PID != b.cmd.Process.Pid || r.Attempt != 2 {
		t.Fatalf("ran by pid %d on attempt %d; want worker B (%d) on attempt 2", r.PID, r.Attempt, b.cmd.Process.Pid)
	}
	t.Logf("finished by another worker %v after the kill (ack wait 1s, task 1.5s)", time.Since(killed))
}

func TestThreeWorkersOneKilledTenThousandTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 tasks through three processes")
	}
	bin := buildWorker(t)
	e := listenEngine(t)
	c, err := remote.NewClient(e, remote.WithMaxInFlight(256))
	must(t, err)
	defer c.Shutdown(true, true)
	procs := make([]*workerProc, 3)
	for i := range procs {
		procs[i] = startWorker(t, bin, e.URL(), "-slots", "8")
	}
	ctx := ctxT(t)
	const n = 10000
	futs := make([]*duet.Future[demotasks.HoldResult], n)
	for i := range futs {
		futs[i] = remote.Submit(ctx, c, demotasks.Hold, demotasks.HoldArgs{Ms: 1, Tag: strconv.Itoa(i)}, remote.WithRetries(5))
		if i == n/3 {
			procs[1].kill9(t)
		}
	}
	byPID := map[int]int{}
	for i, f := range futs {
		r, err := duet.Await(ctx, f)
		if err != nil || r.Tag != strconv.Itoa(i) {
			t.Fatalf("task %d: %+v, %v", i, r, err)
		}
		byPID[r.PID]++
	}
	if p := c.Pending(); p != 0 {
		t.Fatalf("%d tasks still pending after every result", p)
	}
	if byPID[procs[0].cmd.Process.Pid] == 0 || byPID[procs[2].cmd.Process.Pid] == 0 {
		t.Fatalf("results by process: %v; want the survivors to share the work", byPID)
	}
	t.Logf("results by process: %v (process %d killed)", byPID, procs[1].cmd.Process.Pid)
}
