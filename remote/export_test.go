package remote

// CancelsSeen returns how many cancellations of tasks it was not running
// w has heard of, for tests that must know a cancel reached the worker.
func CancelsSeen(w *Worker) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.cancelled[0]) + len(w.cancelled[1])
}
