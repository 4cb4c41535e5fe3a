package conformance

import (
	"errors"

	"github.com/duet-go/duet"
)

// primitiveKind names the errors of duet's primitives the way
// py/harness.py's kind names asyncio's (BrokenBarrier, QueueEmpty, ...);
// "" for any other error.
func primitiveKind(err error) string {
	switch {
	case errors.Is(err, duet.ErrBrokenBarrier):
		return "BrokenBarrier"
	case errors.Is(err, duet.ErrQueueEmpty):
		return "QueueEmpty"
	case errors.Is(err, duet.ErrQueueFull):
		return "QueueFull"
	case errors.Is(err, duet.ErrQueueShutDown):
		return "QueueShutDown"
	}
	return ""
}
