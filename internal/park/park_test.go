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
