package duet

// Test-only views of the primitives' waiter lists, so that external tests
// can wait until a goroutine is parked before starting the next one.

func LockWaiters(l *Lock) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.Len()
}

func SemaphoreWaiters(s *Semaphore) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.Len()
}

func ConditionWaiters(c *Condition) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters.Len()
}

func EventWaiters(e *Event) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.waiters.Len()
}

func QueueWaiters[T any](q *Queue[T]) (getters, putters, joiners int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.getters.Len(), q.putters.Len(), q.joiners.Len()
}

func QueueBufCap[T any](q *Queue[T]) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf)
}

func BarrierEntryWaiters(b *Barrier) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entry.Len()
}

func BarrierLateWaiters(b *Barrier) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.round.late.Len()
}

// SetWatcherSubscribedHook makes fn run inside every Wait, AsCompleted and
// Gather between the subscriptions and the processing of the awaitables
// already done; nil removes it.
func SetWatcherSubscribedHook(fn func()) { testHookWatcherSubscribed = fn }
