package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/duet-go/duet/remote"
)

// newEngine starts an embedded engine storing in a test directory, closed
// when the test ends.
func newEngine(t testing.TB, opts ...remote.EngineOption) *remote.Engine {
	t.Helper()
	e, err := remote.NewEngine(append([]remote.EngineOption{remote.WithStoreDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// setup starts an engine, a client and a worker serving reg.
func setup(t testing.TB, reg *remote.Registry, wopts ...remote.WorkerOption) (*remote.Engine, *remote.Client, *remote.Worker) {
	t.Helper()
	e := newEngine(t)
	c, err := remote.NewClient(e)
	if err != nil {
		t.Fatal(err)
	}
	w, err := remote.Serve(e, reg, wopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Shutdown(true, true); c.Shutdown(true, true) })
	return e, c, w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ctxT is a context that ends with the test, bounding every wait.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
