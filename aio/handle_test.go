package aio_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// scheduler is one of the loop's ways to schedule a callback.
type scheduler struct {
	name string
	call func(l *aio.Loop, fn func()) (*aio.Handle, error)
}

var schedulers = []scheduler{
	{"CallSoon", func(l *aio.Loop, fn func()) (*aio.Handle, error) { return l.CallSoon(fn) }},
	{"CallSoonThreadsafe", func(l *aio.Loop, fn func()) (*aio.Handle, error) { return l.CallSoonThreadsafe(fn) }},
	{"CallLater", func(l *aio.Loop, fn func()) (*aio.Handle, error) { return l.CallLater(time.Second, fn) }},
	{"CallAt", func(l *aio.Loop, fn func()) (*aio.Handle, error) { return l.CallAt(l.Time().Add(time.Second), fn) }},
}

// checkNilHandle checks that every method of a nil *Handle is safe and
// reports a callback that never ran and was never cancelled.
func checkNilHandle(t *testing.T, what string, h *aio.Handle) {
	t.Helper()
	if h != nil {
		t.Fatalf("%s returned a handle with its error", what)
	}
	if h.Cancel() || h.Cancelled() || !h.When().IsZero() {
		t.Fatalf("%s: nil handle: Cancel=%v Cancelled=%v When=%v", what, h.Cancel(), h.Cancelled(), h.When())
	}
}

// Python: call_soon, call_later and call_at on a closed loop raise
// RuntimeError("Event loop is closed").
func TestCallOnClosedLoop(t *testing.T) {
	l := aio.New(aio.WithVirtualClock())
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range schedulers {
		ran := false
		h, err := s.call(l, func() { ran = true })
		if !errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "closed") {
			t.Errorf("%s on a closed loop: err %v, want one matching duet.ErrClosed", s.name, err)
		}
		checkNilHandle(t, s.name, h)
		if ran {
			t.Errorf("%s on a closed loop ran its callback", s.name)
		}
	}
}

// A nil callback is refused when it is scheduled, naming the method, rather
// than failing later on the loop as a nil dereference.
func TestCallNilFunction(t *testing.T) {
	var reports []string
	l := aio.New(aio.WithVirtualClock(), aio.WithExceptionHandler(func(_ *aio.Loop, ec aio.ExceptionContext) {
		reports = append(reports, ec.Message+": "+ec.Err.Error())
	}))
	defer l.Close()
	for _, s := range schedulers {
		h, err := s.call(l, nil)
		if err == nil || errors.Is(err, duet.ErrClosed) || !strings.Contains(err.Error(), "nil function") {
			t.Errorf("%s(nil): err %v, want an error about the nil function", s.name, err)
		} else if want := strings.TrimSuffix(s.name, "Threadsafe"); !strings.Contains(err.Error(), want) {
			t.Errorf("%s(nil): err %q does not name %s", s.name, err, want)
		}
		checkNilHandle(t, s.name+"(nil)", h)
	}
	// Nothing was scheduled: the loop runs past the timers' deadline with
	// nothing to report.
	if _, err := l.CallLater(2*time.Second, l.Stop); err != nil {
		t.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 0 {
		t.Fatalf("the loop reported %q", reports)
	}
}

// A handle that was scheduled reports its deadline and its cancellation.
func TestHandleOnOpenLoop(t *testing.T) {
	l := aio.New(aio.WithVirtualClock())
	defer l.Close()
	due := l.Time().Add(time.Minute)
	h, err := l.CallAt(due, func() { t.Error("a cancelled timer ran") })
	if err != nil {
		t.Fatal(err)
	}
	if !h.When().Equal(due) || h.Cancelled() {
		t.Fatalf("When=%v Cancelled=%v, want %v false", h.When(), h.Cancelled(), due)
	}
	if !h.Cancel() || !h.Cancelled() || h.Cancel() {
		t.Fatal("Cancel did not take exactly once")
	}
	if _, err := l.CallLater(2*time.Minute, l.Stop); err != nil {
		t.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
}
