//go:build linux

package aio

import "context"

// SetNoPidfdForTest makes children start without a pidfd, so that the
// fallback reaper (a goroutine in wait) serves them; it returns the
// restore function.
func SetNoPidfdForTest() (restore func()) {
	noPidfd = true
	return func() { noPidfd = false }
}

// SetFileChunkHookForTest makes fn run on the executor's thread after each
// chunk of a File's read or write; it returns the restore function.
func SetFileChunkHookForTest(fn func(ctx context.Context, done int)) (restore func()) {
	fileChunkDone = fn
	return func() { fileChunkDone = nil }
}
