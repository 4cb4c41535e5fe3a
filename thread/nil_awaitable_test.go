package thread_test

import (
	"errors"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/thread"
)

// A typed nil *Thread or *Timer is refused like a nil *Future or *Task:
// every combinator reports ErrNilAwaitable instead of panicking on a nil
// dereference inside Future().
func TestTypedNilThreadIsNilAwaitable(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    duet.Awaitable[struct{}]
	}{
		{"Thread", (*thread.Thread[struct{}])(nil)},
		{"Timer", (*thread.Timer)(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := guard(t)
			check := func(op string, call func() error) {
				t.Helper()
				var err error
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s panicked: %v", op, r)
						}
					}()
					err = call()
				}()
				if !errors.Is(err, duet.ErrNilAwaitable) {
					t.Errorf("%s: err = %v, want ErrNilAwaitable", op, err)
				}
			}
			check("Await", func() error { _, err := duet.Await(ctx, tc.a); return err })
			check("Gather", func() error { _, err := duet.Gather(ctx, tc.a); return err })
			check("GatherAll", func() error { _, err := duet.GatherAll(ctx, tc.a); return err })
			check("Wait", func() error {
				_, _, err := duet.Wait(ctx, []duet.Awaitable[struct{}]{tc.a}, duet.AllCompleted, duet.NoTimeout)
				return err
			})
			check("WaitFor", func() error { _, err := duet.WaitFor(ctx, tc.a, duet.NoTimeout); return err })
			check("Shield", func() error { return duet.Shield(ctx, tc.a).Err() })
			check("AsCompleted", func() error {
				var first error
				for _, err := range duet.AsCompleted(ctx, tc.a) {
					first = err
					break
				}
				return first
			})
		})
	}
}
