package poll_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	countFDs() // the first directory read may open runtime fds: count after it
	goleak.VerifyTestMain(m)
}

// countFDs returns how many fds the process has open, or -1 where
// /proc/self/fd cannot tell.
func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// checkFDs fails t if it ends with more or fewer fds open than it began
// with. Call it first, so that its cleanup runs last.
func checkFDs(t testing.TB) {
	before := countFDs()
	t.Cleanup(func() {
		if after := countFDs(); after != before {
			t.Errorf("%d fds open before the test, %d after", before, after)
		}
	})
}
