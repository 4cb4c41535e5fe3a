package stacks

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A goroutine asleep in time.Sleep is in the dump, with its frame and the
// state "sleep".
func TestAllAndState(t *testing.T) {
	done := make(chan struct{})
	go func() { sleepHere(); close(done) }()
	defer func() { <-done }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, g := range All() {
			if strings.Contains(g, "stacks.sleepHere") && State(g) == "sleep" {
				return
			}
		}
	}
	t.Fatal("no goroutine in sleepHere found asleep in the dump")
}

func sleepHere() { time.Sleep(200 * time.Millisecond) }

func TestStateOfOddBlocks(t *testing.T) {
	for in, want := range map[string]string{
		"goroutine 7 [chan receive, 3 minutes]:\nmain.f()": "chan receive",
		"goroutine 1 [running]:":                           "running",
		"no header":                                        "",
		"] before [":                                       "",
	} {
		if got := State(in); got != want {
			t.Errorf("State(%q) = %q, want %q", in, got, want)
		}
	}
}
