package aio

// NewStreamForTest exposes newStream to the external tests, which connect
// streams through fake transports (the TCP transport makes them otherwise).
func NewStreamForTest(l *Loop, opts ...StreamOption) (*Stream, Protocol) {
	return newStream(l, opts...)
}
