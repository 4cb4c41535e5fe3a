// Package stacks reads the runtime's dump of every goroutine's stack
// (runtime.Stack with all set): the one place aio's inspection (a task's
// stack, the state of a step's goroutine) and inspect's pool advisor get
// goroutines' stacks and states from.
package stacks

import (
	"runtime"
	"strings"
)

// All returns every goroutine's stack, one block per goroutine, each
// beginning "goroutine N [state]:". It grows its buffer until the dump
// fits; the cost is in proportion to the number of goroutines.
func All() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// State returns a block's goroutine state in the runtime's words
// ("running", "sleep", "IO wait", "chan receive"...), without the time
// it has been in it ("sleep, 2 minutes" gives "sleep"); "" when the block
// has no header.
func State(block string) string {
	i, j := strings.IndexByte(block, '['), strings.IndexByte(block, ']')
	if i < 0 || j < i {
		return ""
	}
	state, _, _ := strings.Cut(block[i+1:j], ",")
	return state
}
