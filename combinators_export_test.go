package duet

// FutureWaiters returns how many waiters and callbacks are registered on f,
// so that tests can check that a combinator leaves nothing behind.
func FutureWaiters[T any](f *Future[T]) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiters.Len()
}
