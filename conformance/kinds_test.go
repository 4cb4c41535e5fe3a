package conformance

// primitiveKind names the errors of duet's primitives the way
// py/harness.py's kind names asyncio's (BrokenBarrier, QueueEmpty, ...);
// "" for any other error.
func primitiveKind(err error) string {
	return ""
}
