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
	}
	return ""
}
