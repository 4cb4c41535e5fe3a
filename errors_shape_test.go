package duet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/duet-go/duet"
)

// isMulti reports whether err presents itself as a group of errors (what
// errors.Join returns): only a real group of failures may.
func isMulti(err error) bool {
	_, multi := err.(interface{ Unwrap() []error })
	return multi
}

// checkSingle fails unless err is one error that matches sentinel.
func checkSingle(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s = %v, want an error matching %v", what, err, sentinel)
	}
	if isMulti(err) {
		t.Errorf("%s = %q unwraps to several errors, as a group would", what, err)
	}
}

// A single annotated error (a sentinel with a message) is not a group.
func TestSingleErrorsAreNotGroups(t *testing.T) {
	f := duet.NewFuture[int]()
	_, err := f.Result()
	checkSingle(t, "Result of a pending future", err, duet.ErrInvalidState)
	f.SetResult(1)
	checkSingle(t, "SetResult of a completed future", f.SetResult(2), duet.ErrInvalidState)
	checkSingle(t, "Complete of a completed future", f.Complete(3, nil), duet.ErrInvalidState)
	checkSingle(t, "SetError of a completed future", f.SetError(errors.New("x")), duet.ErrInvalidState)
}

type codeError struct{ code int }

func (e *codeError) Error() string { return "code" }

// Wait returns a single failure as itself (Python's TaskGroup raises an
// ExceptionGroup of one; in Go a join of one is only in the way), and
// several joined, each seen by errors.Is and errors.As.
func TestGroupSingleFailureIsNotJoined(t *testing.T) {
	fail := func(err error) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { return 0, err }
	}
	one := &codeError{7}
	for _, world := range []struct {
		name string
		run  func(func(ctx context.Context) error)
	}{
		{"tasks", func(fn func(ctx context.Context) error) { vrun(t, fn) }},
		{"goroutines", func(fn func(ctx context.Context) error) {
			if err := fn(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		world.run(func(ctx context.Context) error {
			g, _ := duet.NewGroup(ctx)
			duet.Go(g, fail(one))
			err := g.Wait()
			var ce *codeError
			if err != error(one) || !errors.As(err, &ce) || ce.code != 7 || isMulti(err) {
				t.Errorf("%s: one failure: Wait = %#v, want the failure itself", world.name, err)
			}

			// Both children start before either fails: a child that has
			// not started when the first fails is cancelled instead.
			errA, errB := errors.New("a"), errors.New("b")
			started, _ := duet.NewBarrier(2)
			failAfterStart := func(err error) func(context.Context) (int, error) {
				return func(ctx context.Context) (int, error) {
					if _, werr := started.Wait(ctx); werr != nil {
						return 0, werr
					}
					return 0, err
				}
			}
			g, _ = duet.NewGroup(ctx)
			duet.Go(g, failAfterStart(errA))
			duet.Go(g, failAfterStart(errB))
			err = g.Wait()
			m, multi := err.(interface{ Unwrap() []error })
			if !multi || len(m.Unwrap()) != 2 || !errors.Is(err, errA) || !errors.Is(err, errB) {
				t.Errorf("%s: two failures: Wait = %v, want both joined", world.name, err)
			}
			return nil
		})
	}
}
