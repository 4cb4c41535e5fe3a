package park_test

import (
	"context"
	"errors"
	"testing"

	"github.com/duet-go/duet/internal/park"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGoroutineWaiterWakeAndAbandon(t *testing.T) {
	w := park.NewWaiter(context.Background())
	if w.Task() != nil {
		t.Fatal("a goroutine waiter has a task")
	}
	go w.Wake()
	if err := park.Park(context.Background(), w); err != nil || w.State() != park.Woken {
		t.Fatalf("park: %v, state %d", err, w.State())
	}
	if w.Wake() || w.Abandon() {
		t.Fatal("a resolved waiter resolved again")
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("stop")
	w = park.NewWaiter(ctx)
	cancel(cause)
	if err := park.Park(ctx, w); !errors.Is(err, cause) || w.State() != park.Cancelled {
		t.Fatalf("park after cancel: %v, state %d", err, w.State())
	}
	if w.Wake() {
		t.Fatal("woke an abandoned waiter")
	}
}

func TestListOrderRemoveAndWakeFirst(t *testing.T) {
	var l park.List
	ws := make([]*park.Waiter, 4)
	for i := range ws {
		ws[i] = park.NewWaiter(context.Background())
		l.PushBack(ws[i])
	}
	if !l.Remove(ws[1]) || l.Remove(ws[1]) || l.Len() != 3 {
		t.Fatal("Remove")
	}
	ws[0].Abandon() // a cancelled waiter at the front is skipped, not woken
	if !l.WakeFirst() || ws[2].State() != park.Woken || l.Len() != 1 || l.Front() != ws[3] {
		t.Fatalf("WakeFirst: states %d %d %d, len %d", ws[0].State(), ws[2].State(), ws[3].State(), l.Len())
	}
	l.WakeAll()
	if ws[3].State() != park.Woken || l.Len() != 0 || l.Front() != nil || l.WakeFirst() {
		t.Fatal("WakeAll")
	}
}

func TestFuncWaiterAndDetach(t *testing.T) {
	var l park.List
	var got []int
	for i := range 3 {
		l.PushBack(park.Func(func() { got = append(got, i) }))
	}
	chain := l.Detach()
	if l.Len() != 0 {
		t.Fatal("Detach left waiters")
	}
	park.WakeChain(chain)
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("callbacks ran %v", got)
	}
}

// fakeTask is a Task whose Suspend resolves the waiter as told and returns
// the error told, standing for a loop task's wait.
type fakeTask struct {
	park.Task
	wake bool
	err  error
}

func (f *fakeTask) Schedule() {}

func (f *fakeTask) Suspend(_ context.Context, w *park.Waiter, _ func(*park.Waiter)) error {
	if f.wake {
		w.Wake()
	} else {
		w.Abandon()
	}
	return f.err
}

// TestWaitGrantRule: Wait's three outcomes. A goroutine whose ctx ended as
// it was woken keeps the grant (whichever of the two Park sees first); a
// task woken but cancelled gets the error with granted, to pass the grant
// on; an abandoned wait is not granted.
func TestWaitGrantRule(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := park.NewWaiter(ctx)
	w.Wake()
	if granted, err := park.Wait(ctx, w, nil); !granted || err != nil {
		t.Fatalf("goroutine woken as its ctx ended: %v, %v; want true, nil", granted, err)
	}
	w = park.NewWaiter(ctx)
	dropped := false
	if granted, err := park.Wait(ctx, w, func(*park.Waiter) { dropped = true }); granted || err == nil || dropped {
		t.Fatalf("goroutine abandoned: %v, %v, dropped %v; want false, an error, not dropped", granted, err, dropped)
	}
	cancelled := errors.New("cancelled")
	w = park.ForTask(&fakeTask{wake: true, err: cancelled})
	if granted, err := park.Wait(ctx, w, nil); !granted || err != cancelled {
		t.Fatalf("task woken, then cancelled: %v, %v; want true, its error", granted, err)
	}
	w = park.ForTask(&fakeTask{err: cancelled})
	if granted, err := park.Wait(ctx, w, nil); granted || err != cancelled {
		t.Fatalf("task cancelled: %v, %v; want false, its error", granted, err)
	}
	w = park.ForTask(&fakeTask{wake: true})
	if granted, err := park.Wait(ctx, w, nil); !granted || err != nil {
		t.Fatalf("task woken: %v, %v; want true, nil", granted, err)
	}
}

func TestLabels(t *testing.T) {
	a, b := park.NewLabel("A.Wait"), park.NewLabel("B.Wait")
	if a == 0 || b == 0 || a == b {
		t.Fatalf("labels %d and %d: want two distinct non-zero labels", a, b)
	}
	if a.Op() != "A.Wait" || b.Op() != "B.Wait" || park.Label(0).Op() != "" {
		t.Fatalf("ops %q %q %q", a.Op(), b.Op(), park.Label(0).Op())
	}
	var w park.Waiter
	if w.Labeled(b, "on").What != b || w.On != "on" {
		t.Fatal("Labeled did not set the label and the object")
	}
}
