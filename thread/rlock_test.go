package thread_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

func TestRLockReentrant(t *testing.T) {
	var l thread.RLock
	ctx := thread.WithIdentity(guard(t), "owner")
	dctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	for _, c := range []context.Context{ctx, dctx, ctx} {
		if err := l.Acquire(c); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := l.TryAcquire(dctx); !ok || err != nil {
		t.Fatalf("TryAcquire by the owner: %v %v", ok, err)
	}
	if !l.OwnedBy(ctx) || !l.Locked() {
		t.Fatal("not owned")
	}
	other := thread.WithIdentity(ctx, "other")
	if ok, err := l.TryAcquire(other); ok || err != nil {
		t.Fatalf("TryAcquire by another: %v %v", ok, err)
	}
	for i := range 4 {
		if !l.Locked() {
			t.Fatalf("unlocked after %d of 4 releases", i)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if l.Locked() {
		t.Fatal("still locked after as many releases as acquires")
	}
	if err := l.Release(ctx); !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "not held") {
		t.Fatalf("release of an unlocked RLock: %v", err)
	}
}

func TestRLockBadInput(t *testing.T) {
	var l thread.RLock
	plain := context.Background()
	if err := l.Acquire(plain); !errors.Is(err, thread.ErrNoIdentity) {
		t.Errorf("Acquire without identity: %v", err)
	}
	if _, err := l.TryAcquire(plain); !errors.Is(err, thread.ErrNoIdentity) {
		t.Errorf("TryAcquire without identity: %v", err)
	}
	if err := l.Release(plain); !errors.Is(err, thread.ErrNoIdentity) {
		t.Errorf("Release without identity: %v", err)
	}
	if err := l.Release(nil); !errors.Is(err, duet.ErrNilContext) {
		t.Errorf("Release(nil): %v", err)
	}
	owner := thread.WithIdentity(plain, "a")
	thief := thread.WithIdentity(plain, "b")
	if err := l.Acquire(owner); err != nil {
		t.Fatal(err)
	}
	err := l.Release(thief)
	if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), "does not own") ||
		!strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) {
		t.Fatalf("release by a non-owner: %v", err)
	}
	if !l.OwnedBy(owner) {
		t.Fatal("a failed release changed the owner")
	}
	if l.OwnedBy(plain) {
		t.Fatal("OwnedBy a context without identity")
	}
	l.Release(owner)
}

// Threads contend; the lock is handed over in arrival order, and a waiter
// whose ctx ends gives up without taking it.
func TestRLockThreads(t *testing.T) {
	ctx := guard(t)
	var l thread.RLock
	holder := thread.WithIdentity(ctx, "holder")
	if err := l.Acquire(holder); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var ths []*thread.Thread[struct{}]
	for i := range 3 {
		ths = append(ths, thread.Start(ctx, "", func(ctx context.Context) (struct{}, error) {
			if err := l.Acquire(ctx); err != nil {
				return struct{}{}, err
			}
			l.Acquire(ctx) // reentrant
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			l.Release(ctx)
			return struct{}{}, l.Release(ctx)
		}))
		// Wait until thread i waits, so the arrival order is 0, 1, 2.
		eventually(t, "thread waiting for the lock", func() bool { return waiters(&l) == i+1 })
	}
	// A waiter that gives up.
	gctx, cancel := context.WithCancel(thread.WithIdentity(ctx, "quitter"))
	done := make(chan error)
	go func() { done <- l.Acquire(gctx) }()
	eventually(t, "quitter waiting", func() bool { return waiters(&l) == 4 })
	cancel()
	if err := recv(t, done); !errors.Is(err, duet.ErrCancelled) {
		t.Fatalf("cancelled Acquire: %v", err)
	}
	if err := l.Release(holder); err != nil {
		t.Fatal(err)
	}
	for _, th := range ths {
		if _, err := th.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Fatalf("acquisition order %v", order)
	}
	if l.Locked() {
		t.Fatal("locked at the end")
	}
}

func waiters(l *thread.RLock) int { return thread.RLockWaiters(l) }

// Loop tasks are owners: a task re-enters its own lock, another task waits
// suspended while the loop runs the others, and a non-owner task cannot
// release.
func TestRLockLoopTasks(t *testing.T) {
	var l thread.RLock
	var log []string
	err := aio.Run(guard(t), func(ctx context.Context) error {
		a := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			l.Acquire(ctx)
			l.Acquire(ctx)
			log = append(log, "a holds")
			duet.Sleep(ctx, time.Second)
			l.Release(ctx)
			log = append(log, "a released once")
			duet.Sleep(ctx, time.Second)
			log = append(log, "a releases")
			return 0, l.Release(ctx)
		})
		b := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := l.Release(ctx); !errors.Is(err, duet.ErrInvalidState) {
				return 0, errors.Join(errors.New("non-owner task released"), err)
			}
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			log = append(log, "b holds")
			return 0, l.Release(ctx)
		})
		c := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "c runs")
			return 0, nil
		})
		_, err := duet.Gather(ctx, a, b, c)
		return err
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a holds", "c runs", "a released once", "a releases", "b holds"}
	if strings.Join(log, ", ") != strings.Join(want, ", ") {
		t.Fatalf("log %q, want %q", log, want)
	}
}

// A task woken with the lock but cancelled before it runs passes the lock
// on to the next waiter.
func TestRLockTaskCancelledAfterHandOff(t *testing.T) {
	var l thread.RLock
	err := aio.Run(guard(t), func(ctx context.Context) error {
		if err := l.Acquire(ctx); err != nil {
			return err
		}
		b := aio.Spawn(ctx, func(ctx context.Context) (int, error) { return 0, l.Acquire(ctx) })
		c := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			return 1, l.Release(ctx)
		})
		duet.Sleep(ctx, 0) // b and c wait, in that order
		if n := thread.RLockWaiters(&l); n != 2 {
			return errors.New("b and c are not both waiting")
		}
		l.Release(ctx) // hands the lock to b...
		b.Cancel("too late")
		// ...which, cancelled before it runs, passes it to c.
		if _, err := duet.Await(ctx, b); !errors.Is(err, duet.ErrCancelled) {
			return errors.Join(errors.New("b"), err)
		}
		if v, err := duet.Await(ctx, c); v != 1 || err != nil {
			return errors.Join(errors.New("c"), err)
		}
		if l.Locked() {
			return errors.New("locked at the end")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A thread holds the lock while a task waits for it without blocking its
// loop.
func TestRLockThreadAndTask(t *testing.T) {
	var l thread.RLock
	ctx := guard(t)
	taken := make(chan struct{})
	release := make(chan struct{})
	th := thread.Start(ctx, "holder", func(ctx context.Context) (int, error) {
		l.Acquire(ctx)
		close(taken)
		<-release
		return 0, l.Release(ctx)
	})
	<-taken
	err := aio.Run(ctx, func(ctx context.Context) error {
		waiter := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			if !l.OwnedBy(ctx) {
				return 0, errors.New("the task does not own the lock it acquired")
			}
			return 1, l.Release(ctx)
		})
		// This task runs while waiter waits: the loop is not blocked.
		other := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			close(release)
			return 0, nil
		})
		_, err := duet.Gather(ctx, waiter, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := th.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// A release by a non-owner names the owner and the caller: a loop task by
// its name (not the task's internals), a thread by name and id.
func TestRLockReleaseByNonOwnerNamesTask(t *testing.T) {
	var l thread.RLock
	other := thread.WithIdentity(guard(t), "other")
	err := aio.Run(guard(t), func(ctx context.Context) error {
		holder := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			// A thread is refused while the task holds the lock.
			err := l.Release(other)
			if !errors.Is(err, duet.ErrInvalidState) || !strings.Contains(err.Error(), `(owner: loop task "holder")`) ||
				!strings.Contains(err.Error(), `the caller (thread "other" (id `) {
				t.Errorf("release by a thread: %v, want it to name the owner task and the calling thread", err)
			}
			duet.Sleep(ctx, time.Second)
			return 0, l.Release(ctx)
		}, aio.WithName("holder"))
		intruder := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			err := l.Release(ctx)
			if !errors.Is(err, duet.ErrInvalidState) ||
				!strings.Contains(err.Error(), `the caller (loop task "intruder") does not own the lock (owner: loop task "holder")`) {
				t.Errorf("release by another task: %v, want it to name both tasks", err)
			}
			return 0, nil
		}, aio.WithName("intruder"))
		_, err := duet.Gather(ctx, holder, intruder)
		return err
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
}
