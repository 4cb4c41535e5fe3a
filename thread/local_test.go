package thread_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

func TestLocalPerThread(t *testing.T) {
	ctx := guard(t)
	loc := thread.NewLocal[string]()
	other := thread.NewLocal[string]()
	var ready sync.WaitGroup
	ready.Add(3)
	var ths []*thread.Thread[string]
	for i := range 3 {
		ths = append(ths, thread.Start(ctx, "", func(ctx context.Context) (string, error) {
			if _, ok := loc.Get(ctx); ok {
				return "", errors.New("a fresh thread sees a value")
			}
			if err := loc.Set(ctx, fmt.Sprint("v", i)); err != nil {
				return "", err
			}
			ready.Done()
			ready.Wait() // every thread has set its value
			if _, ok := other.Get(ctx); ok {
				return "", errors.New("another Local shares the slot")
			}
			dctx := context.WithValue(ctx, struct{}{}, 0) // same thread
			v, _ := loc.Get(dctx)
			return v, nil
		}))
	}
	for i, th := range ths {
		v, err := th.Join(ctx)
		if err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("thread %d saw %q, %v", i, v, err)
		}
	}
}

func TestLocalDeleteAndIdentity(t *testing.T) {
	loc := thread.NewLocal[int]()
	ctx := thread.WithIdentity(context.Background(), "main")
	if err := loc.Set(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if v, ok := loc.Get(ctx); !ok || v != 3 {
		t.Fatalf("Get = %v %v", v, ok)
	}
	if err := loc.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := loc.Get(ctx); ok {
		t.Fatal("value survived Delete")
	}
	if err := loc.Delete(ctx); err != nil {
		t.Fatal("Delete of an unset slot:", err)
	}
	plain := context.Background()
	if err := loc.Set(plain, 1); !errors.Is(err, thread.ErrNoIdentity) {
		t.Fatalf("Set without identity: %v", err)
	}
	if err := loc.Delete(plain); !errors.Is(err, thread.ErrNoIdentity) {
		t.Fatalf("Delete without identity: %v", err)
	}
	if _, ok := loc.Get(plain); ok {
		t.Fatal("Get without identity reported a value")
	}
}

func TestLocalOnLoopTask(t *testing.T) {
	loc := thread.NewLocal[int]()
	err := aio.Run(guard(t), func(ctx context.Context) error {
		err := loc.Set(ctx, 1)
		if err == nil || !strings.Contains(err.Error(), "context values") {
			return fmt.Errorf("Set on a task: %v", err)
		}
		if _, ok := loc.Get(ctx); ok {
			return errors.New("Get on a task reported a value")
		}
		// A thread started from the task has its own slot.
		th := thread.Start(ctx, "", func(ctx context.Context) (int, error) {
			if err := loc.Set(ctx, 9); err != nil {
				return 0, err
			}
			v, _ := loc.Get(ctx)
			return v, nil
		})
		v, err := th.Join(ctx)
		if v != 9 || err != nil {
			return fmt.Errorf("thread from task: %v %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Python's classic pattern: an initializer sets a per-worker resource in a
// thread-local, and tasks use it.
func TestLocalPoolInitializer(t *testing.T) {
	ctx := guard(t)
	conn := thread.NewLocal[string]()
	var mu sync.Mutex
	made := map[string]bool{}
	p, err := thread.NewPool(3, thread.WithNamePrefix("db"), thread.WithInitializer(func(ctx context.Context) error {
		info, _ := thread.Current(ctx)
		c := "conn-of-" + info.Name
		mu.Lock()
		made[c] = true
		mu.Unlock()
		return conn.Set(ctx, c)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(true, false)
	var futs []*duet.Future[bool]
	for range 50 {
		futs = append(futs, thread.Submit(ctx, p, func(ctx context.Context) (bool, error) {
			c, ok := conn.Get(ctx)
			info, _ := thread.Current(ctx)
			return ok && c == "conn-of-"+info.Name, nil
		}))
	}
	for _, f := range futs {
		if ok, err := duet.Await(ctx, f); !ok || err != nil {
			t.Fatalf("a task did not see its worker's connection: %v", err)
		}
	}
	if n := len(made); n < 1 || n > 3 {
		t.Fatalf("%d connections for 3 workers", n)
	}
}
