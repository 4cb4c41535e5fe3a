package aio

// BufferedForTest returns how many received bytes wait in s's buffer, for
// the StartTLS test to know the ClientHello is there before the line is
// read.
func BufferedForTest(s *Stream) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf.unread())
}
