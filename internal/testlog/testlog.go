// Package testlog captures log/slog's default output in tests, for the
// reports duet makes through slog (a panicking done callback, a panicking
// exception handler, a lost thread error).
package testlog

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// Capture sends log/slog's default output to a buffer for the rest of the
// test (the previous default logger comes back in t.Cleanup), and returns a
// function reading what was logged so far. The buffer is locked: the
// reports come from other goroutines.
func Capture(t testing.TB) func() string {
	var mu sync.Mutex
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
