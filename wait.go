package duet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// WaitMode tells Wait when to return. The zero value is AllCompleted.
type WaitMode int

const (
	// AllCompleted returns when every awaitable has completed
	// (Python: asyncio.ALL_COMPLETED, the default).
	AllCompleted WaitMode = iota
	// FirstCompleted returns when any awaitable completes
	// (Python: asyncio.FIRST_COMPLETED).
	FirstCompleted
	// FirstException returns when any awaitable fails with an error that
	// is not a cancellation, or else when all have completed
	// (Python: asyncio.FIRST_EXCEPTION).
	FirstException
)

// String returns the mode's name, as in "FirstCompleted".
func (m WaitMode) String() string {
	switch m {
	case AllCompleted:
		return "AllCompleted"
	case FirstCompleted:
		return "FirstCompleted"
	case FirstException:
		return "FirstException"
	}
	return "WaitMode(" + strconv.Itoa(int(m)) + ")"
}

// Wait waits until the awaitables in aws satisfy mode, or until timeout has
// passed, and returns them split into those done and those still pending,
// each in argument order (Python: asyncio.wait and concurrent.futures.wait,
// which return sets). An awaitable given twice is reported once.
//
// Wait never cancels anything: awaitables still pending when it returns keep
// running, and an expired timeout is not an error (check len(pending)).
// On a loop task the timeout is measured on the loop's clock.
//
// timeout <= 0 polls (Python: wait(aws, timeout=0), and any negative
// timeout): Wait does not wait for mode and returns the split as it stands.
// On a loop task it still yields once, as asyncio.wait does, so completions
// already scheduled on the loop (and the done callbacks of aws already
// done) are seen; on a goroutine it returns at once, as
// concurrent.futures.wait(fs, timeout=0) does. NoTimeout waits without
// limit (Python: timeout=None, the default).
//
// On a loop task Wait suspends the task; as in asyncio it always yields to
// the loop at least once, even when aws are already done (their done
// callbacks are scheduled). On a goroutine it blocks, returning at once
// when the condition already holds or timeout <= 0, without looking at
// ctx then. If the waiting task is cancelled, or ctx is done, Wait returns
// a cancellation error (matching ErrCancelled, or ErrTimeout for a ctx
// deadline) and nil slices.
//
// Errors: an empty aws, a nil awaitable, or an unknown mode.
func Wait[T any](ctx context.Context, aws []Awaitable[T], mode WaitMode, timeout time.Duration) (done, pending []Awaitable[T], err error) {
	if ctx == nil {
		return nil, nil, nilCtx("Wait")
	}
	if len(aws) == 0 {
		return nil, nil, errors.New("duet: Wait needs at least one awaitable (Python raises ValueError for an empty set)")
	}
	if mode < AllCompleted || mode > FirstException {
		return nil, nil, fmt.Errorf("duet: Wait: unknown %v (use AllCompleted, FirstCompleted or FirstException)", mode)
	}
	d, err := distinct("Wait", aws)
	if err != nil {
		return nil, nil, err
	}
	task := park.Current(ctx)
	counter := len(d.futs)
	w := newWatcher(loopOf(task), d.futs, func(i int) bool {
		counter--
		if counter <= 0 || mode == FirstCompleted {
			return true
		}
		if mode == FirstException {
			f := d.futs[i]
			return !f.Cancelled() && f.Err() != nil
		}
		return false
	})
	w.start(false)
	var stopTimer func()
	switch {
	case timeout == NoTimeout:
	case task != nil:
		// asyncio's call_later(timeout, ...), also for timeout <= 0: a
		// timer due in the next iteration, whose timer phase comes after
		// the done callbacks start posted, so a poll sees them.
		l := task.Loop()
		h := l.After(l.Now().Add(timeout), w.wake)
		stopTimer = func() { h.Cancel() }
	case timeout <= 0:
		w.wake() // a goroutine's poll: start has processed what is done
	default:
		tm := time.AfterFunc(timeout, w.wake)
		stopTimer = func() { tm.Stop() }
	}
	err = w.wait(ctx, nil)
	if stopTimer != nil {
		stopTimer()
	}
	signalled := w.close(true)
	if err != nil && (task != nil || !signalled) {
		return nil, nil, err
	}
	for i, f := range d.futs {
		if f.IsDone() {
			done = append(done, d.first[i])
		} else {
			pending = append(pending, d.first[i])
		}
	}
	return done, pending, nil
}

func loopOf(t park.Task) park.Loop {
	if t == nil {
		return nil
	}
	return t.Loop()
}

// distinctSet is the awaitables of a combinator call with duplicates
// folded: futs[i] is the i-th distinct future, first[i] the awaitable that
// first named it, pos[k] the index in futs of argument k.
type distinctSet[T any] struct {
	futs  []*Future[T]
	first []Awaitable[T]
	pos   []int
}

func distinct[T any](op string, aws []Awaitable[T]) (distinctSet[T], error) {
	d := distinctSet[T]{pos: make([]int, len(aws))}
	var index map[*Future[T]]int
	if len(aws) > 8 {
		index = make(map[*Future[T]]int, len(aws))
	}
	for k, a := range aws {
		f, err := futureOf(a)
		if err != nil {
			return d, fmt.Errorf("duet: %s: argument %d: %w", op, k, err)
		}
		i := -1
		if index != nil {
			if j, ok := index[f]; ok {
				i = j
			}
		} else {
			for j, g := range d.futs {
				if g == f {
					i = j
					break
				}
			}
		}
		if i < 0 {
			i = len(d.futs)
			d.futs = append(d.futs, f)
			d.first = append(d.first, a)
			if index != nil {
				index[f] = i
			}
		}
		d.pos[k] = i
	}
	return d, nil
}

// watcher follows the completion of a set of distinct futures for one call
// of a combinator, and parks its caller until onDone says so.
//
// Completions are processed the way asyncio runs done callbacks: when the
// caller is a loop task, on its loop in a later step (so a combinator
// resumes its task in the same iteration as Python's, two after the
// completion); otherwise synchronously in the goroutine that completes the
// future.
type watcher[T any] struct {
	mu        sync.Mutex
	futs      []*Future[T]
	subs      []*park.Waiter // subscription on futs[i], nil once processed
	loop      park.Loop
	onDone    func(i int) bool // under mu: record futs[i]'s completion, report whether to wake
	signalled bool
	parked    *park.Waiter
	closed    bool
	late      func(f *Future[T]) // after close: called for completions still subscribed
	starting  bool               // start is processing the futures already done
	deferred  []int              // completions that came meanwhile, from goroutines
}

func newWatcher[T any](loop park.Loop, futs []*Future[T], onDone func(int) bool) *watcher[T] {
	return &watcher[T]{futs: futs, subs: make([]*park.Waiter, len(futs)), loop: loop, onDone: onDone}
}

// start subscribes to every future. Those already done are processed like
// asyncio's add_done_callback on a done future: on the loop in a later step
// when the caller is a task (so the caller yields once, as asyncio.wait
// and as_completed do), at once otherwise; with now, at once in any case
// (asyncio.gather since 3.12, which runs its done callback directly for the
// children already done, so that gathering done futures does not yield).
func (w *watcher[T]) start(now bool) {
	var already []int
	w.mu.Lock()
	// A goroutine may complete a future subscribed here before the ones
	// already done are processed: hold its completion back, so that those
	// already done come first, in argument order.
	w.starting = w.loop == nil
	for i, f := range w.futs {
		s := park.Func(func() { w.fire(i) })
		if f.subscribe(s) {
			w.subs[i] = s
		} else {
			already = append(already, i)
		}
	}
	w.mu.Unlock()
	if testHookWatcherSubscribed != nil {
		testHookWatcherSubscribed()
	}
	for _, i := range already {
		if now || w.loop == nil {
			w.process(i)
		} else {
			w.fire(i)
		}
	}
	if w.loop != nil {
		return
	}
	for {
		w.mu.Lock()
		late := w.deferred
		w.deferred = nil
		if len(late) == 0 {
			w.starting = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		for _, i := range late {
			w.process(i)
		}
	}
}

// testHookWatcherSubscribed, set by tests, runs in start between the
// subscriptions and the processing of the futures already done.
var testHookWatcherSubscribed func()

func (w *watcher[T]) fire(i int) {
	if w.loop != nil {
		w.loop.Post(func() { w.process(i) })
		return
	}
	w.completed(i, true)
}

func (w *watcher[T]) process(i int) { w.completed(i, false) }

// completed processes futs[i]'s completion; fired marks one that a
// goroutine's completion reported, which waits while start is still
// processing the futures already done (see start).
func (w *watcher[T]) completed(i int, fired bool) {
	w.mu.Lock()
	if fired && w.starting {
		w.deferred = append(w.deferred, i)
		w.mu.Unlock()
		return
	}
	if w.closed {
		late := w.late
		w.mu.Unlock()
		if late != nil {
			late(w.futs[i])
		}
		return
	}
	w.subs[i] = nil
	var pw *park.Waiter
	if w.onDone(i) {
		w.signalled = true
		pw, w.parked = w.parked, nil
	}
	w.mu.Unlock()
	if pw != nil {
		pw.Wake()
	}
}

// wake signals the watcher from outside (a timeout).
func (w *watcher[T]) wake() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.signalled = true
	pw := w.parked
	w.parked = nil
	w.mu.Unlock()
	if pw != nil {
		pw.Wake()
	}
}

// wait parks the caller until the watcher is signalled; target, when set, is
// what cancelling the waiting task cancels instead of abandoning the wait.
// It returns nil at once when already signalled.
func (w *watcher[T]) wait(ctx context.Context, target park.Canceller) error {
	w.mu.Lock()
	if w.signalled {
		w.mu.Unlock()
		return nil
	}
	pw := park.NewWaiter(ctx).Labeled(labelWait, w)
	pw.Target = target
	w.parked = pw
	w.mu.Unlock()
	err := park.Park(ctx, pw)
	w.mu.Lock()
	if w.parked == pw {
		w.parked = nil
	}
	w.mu.Unlock()
	return err
}

// close stops processing completions and reports whether the watcher had
// been signalled. With unsubscribe it removes every subscription, so that
// nothing stays registered on the futures; without, completions still to
// come go to late.
func (w *watcher[T]) close(unsubscribe bool) bool {
	w.mu.Lock()
	w.closed = true
	sig := w.signalled
	w.mu.Unlock()
	if unsubscribe {
		for i, s := range w.subs {
			if s != nil {
				w.futs[i].unsubscribe(s)
			}
		}
	}
	return sig
}
