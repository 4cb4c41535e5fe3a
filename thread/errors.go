package thread

import "errors"

// ErrBrokenPool matches (with errors.Is) the error of every future a broken
// pool fails: a worker's initializer failed (or panicked), so the tasks
// still queued and every later Submit fail with it; the initializer's error
// is wrapped too. Python: concurrent.futures.thread.BrokenThreadPool.
var ErrBrokenPool = errors.New("thread: broken pool: a worker initializer failed")

// ErrPoolFull matches the error of a future whose Submit found the queue
// full on a pool made WithRejectWhenFull. Python has no counterpart (its
// executor queue is unbounded); compare queue.Full.
var ErrPoolFull = errors.New("thread: pool queue is full")
