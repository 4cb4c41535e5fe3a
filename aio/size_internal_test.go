//go:build amd64 || arm64

package aio

import (
	"testing"
	"unsafe"

	"github.com/duet-go/duet/internal/park"
	"github.com/duet-go/duet/internal/poll"
)

// TestIdleConnectionSizes guards what every idle connection holds (issue
// 8's idle-memory table): each of these objects sits at the top of a
// runtime size class, so one more field moves it to the next, 16 to 32
// bytes more per connection. Raise a limit only on purpose, with the idle
// figures (bash bench/run.sh -only idle) in the commit.
func TestIdleConnectionSizes(t *testing.T) {
	for _, c := range []struct {
		what       string
		size, most uintptr
	}{
		{"Task[struct{}] (a stream handler's)", unsafe.Sizeof(Task[struct{}]{}), 256},
		{"Stream", unsafe.Sizeof(Stream{}), 160},
		{"tcpTransport", unsafe.Sizeof(tcpTransport{}), 192},
		{"poll.FD", unsafe.Sizeof(poll.FD{}), 112},
		{"park.Waiter (a task's reusable one)", unsafe.Sizeof(park.Waiter{}), 112},
	} {
		if c.size > c.most {
			t.Errorf("%s takes %d bytes, past the %d-byte size class it is kept in", c.what, c.size, c.most)
		}
	}
}
