package remote_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

// Upper is a task: a stable, versioned name with its argument and result
// types, defined once and shared by callers and workers.
var Upper = remote.Define[string, string]("example.upper/v1")

// The embedded engine: one process, no server to run. Workers in other
// processes join with remote.WithListen here and remote.WithURLs there.
func Example() {
	e, err := remote.NewEngine() // embedded, in-process, a temporary file store
	if err != nil {
		panic(err)
	}
	defer e.Close()

	reg := remote.NewRegistry() // the worker side
	remote.Handle(reg, Upper, func(ctx context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	})
	w, err := remote.Serve(e, reg, remote.WithSlots(4))
	if err != nil {
		panic(err)
	}
	defer w.Shutdown(true, false)

	c, err := remote.NewClient(e) // the caller side
	if err != nil {
		panic(err)
	}
	defer c.Shutdown(true, false)
	ctx := context.Background()
	a := remote.Submit(ctx, c, Upper, "hello") // Dask: client.submit(upper, "hello")
	b := remote.Submit(ctx, c, Upper, "world") // Ray: upper.remote("world")
	both, err := duet.Gather(ctx, a, b)        // the futures are duet's own
	fmt.Println(both, err)
	// Output: [HELLO WORLD] <nil>
}
