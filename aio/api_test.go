package aio_test

import (
	"reflect"
	"testing"

	"github.com/duet-go/duet/aio"
)

// TestNoPlumbingExported checks that the methods the root package and the
// coroutine engine call (park.Loop's Now, Post, After and Go; coro.Func's
// Run) are not part of aio's API: a user calling them could run a task's
// body twice or bypass CallSoon's contract. Time, CallSoon, CallAt and
// Spawn are the user's way to do the same things.
func TestNoPlumbingExported(t *testing.T) {
	for typ, names := range map[reflect.Type][]string{
		reflect.TypeFor[*aio.Loop]():      {"Now", "Post", "After", "Go"},
		reflect.TypeFor[*aio.Task[int]](): {"Run"},
	} {
		for _, name := range names {
			if _, ok := typ.MethodByName(name); ok {
				t.Errorf("%v has an exported method %s: internal plumbing, not API", typ, name)
			}
		}
	}
}
