package thread

// RLockWaiters returns the number of waiters queued on l (cancelled ones
// not yet removed included), for tests that must know a waiter is parked.
func RLockWaiters(l *RLock) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.Len()
}
