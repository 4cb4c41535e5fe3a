package duet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/duet-go/duet/internal/park"
)

// NoTimeout, given as a timeout to any duet call that takes one, waits
// without limit (Python: timeout=None). It is the largest Duration, so it
// also reads as arithmetic (a deadline some 292 years ahead), but every
// call treats it as "no timer at all": no deadline is computed from it, so
// nothing overflows, and a virtual clock never jumps to it.
//
// The rule for every duet timeout (Wait, WaitFor, WithTimeout,
// AsCompletedTimeout, thread.StartTimer, thread.WithIdleTimeout) is
// Python's: a timeout <= 0 does not wait (it polls, or expires at once),
// a positive one waits at most that long, NoTimeout waits forever.
const NoTimeout time.Duration = math.MaxInt64

// Timeout is an active deadline set by WithTimeout or WithDeadline (Python:
// asyncio.Timeout, the object asyncio.timeout() yields). Code inside the
// deadline finds the innermost one with TimeoutFrom and may move it with
// Reschedule. Its methods are safe for concurrent use.
type Timeout struct {
	mu    sync.Mutex
	state timeoutState
	when  time.Time // zero: no deadline
	gen   uint64    // bumped on every (re)schedule and at exit; stale timers check it

	task       park.Task // the task whose code runs inside; nil on a goroutine
	loop       park.Loop // task's loop
	cancelling int       // task.Cancelling() at entry
	timer      park.Timer
	gtimer     *time.Timer // goroutine mode
	ctx        *scopeCtx
}

type timeoutState uint8

const (
	timeoutEntered  timeoutState = iota
	timeoutExpiring              // the deadline passed, the body has not returned yet
	timeoutExpired               // the deadline passed and the body has returned
	timeoutExited                // the body returned before the deadline
)

func (s timeoutState) String() string {
	switch s {
	case timeoutEntered:
		return "active"
	case timeoutExpiring:
		return "expiring"
	case timeoutExpired:
		return "expired"
	}
	return "finished"
}

type timeoutKey struct{}

// TimeoutFrom returns the innermost Timeout whose function ctx was derived
// from, or nil when there is none. Python: the object bound by
// "async with asyncio.timeout(...) as t".
//
// A loop task's timeout governs that task only: a task spawned inside it
// inherits the context's values but not the deadline, so TimeoutFrom called
// by that other task returns nil.
func TimeoutFrom(ctx context.Context) *Timeout {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(timeoutKey{}).(*Timeout)
	if t != nil && t.task != nil {
		if cur := park.Current(ctx); cur != nil && cur != t.task {
			return nil
		}
	}
	return t
}

// When returns the deadline, read on the clock of the task's loop when the
// timeout was entered from a loop task (see WithDeadline), or the zero time
// when the deadline is disabled. Python: Timeout.when().
func (t *Timeout) When() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.when
}

// Expired reports whether the deadline passed while the function ran (also
// after it has returned). Python: Timeout.expired().
func (t *Timeout) Expired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state == timeoutExpiring || t.state == timeoutExpired
}

// Reschedule moves the deadline to when; the zero time disables it. A when
// that has already passed expires the timeout at the task's next suspension
// (on a goroutine: at once). It may be called from any goroutine while the
// function runs; afterwards, or once the deadline has passed, it fails with
// an error matching ErrInvalidState and changes nothing.
// Python: Timeout.reschedule() (None disables).
func (t *Timeout) Reschedule(when time.Time) error {
	t.mu.Lock()
	if t.state != timeoutEntered {
		st := t.state
		t.mu.Unlock()
		return fmt.Errorf("duet: Timeout.Reschedule on a %s timeout (reschedule only while the function runs, before the deadline): %w", st, ErrInvalidState)
	}
	fireNow := t.scheduleLocked(when)
	t.mu.Unlock()
	if fireNow != 0 {
		t.fire(fireNow)
	}
	return nil
}

// scheduleLocked arms the timer for when. It returns a generation to fire
// at once (goroutine mode, deadline passed), or 0.
func (t *Timeout) scheduleLocked(when time.Time) uint64 {
	t.when = when
	t.gen++
	gen := t.gen
	t.stopTimersLocked()
	if when.IsZero() {
		return 0
	}
	if t.task != nil {
		fire := func() { t.fire(gen) }
		if !when.After(t.loop.Now()) {
			// asyncio: a deadline in the past is a call_soon, so the
			// cancellation reaches the task at its next suspension.
			t.loop.Post(fire)
		} else {
			t.timer = t.loop.After(when, fire)
		}
		return 0
	}
	d := time.Until(when)
	if d <= 0 {
		return gen
	}
	t.gtimer = time.AfterFunc(d, func() { t.fire(gen) })
	return 0
}

func (t *Timeout) stopTimersLocked() {
	if t.timer != nil {
		t.timer.Cancel()
		t.timer = nil
	}
	if t.gtimer != nil {
		t.gtimer.Stop()
		t.gtimer = nil
	}
}

// fire expires the timeout if gen is still the current schedule.
func (t *Timeout) fire(gen uint64) {
	t.mu.Lock()
	if t.state != timeoutEntered || t.gen != gen {
		t.mu.Unlock()
		return
	}
	t.state = timeoutExpiring
	t.timer, t.gtimer = nil, nil
	t.mu.Unlock()
	// The scope's context first: its Err must read DeadlineExceeded, not the
	// Canceled that the task's cancellation spreads to its context.
	t.ctx.cancel(context.DeadlineExceeded)
	if t.task != nil {
		t.task.Cancel("")
	}
}

// exit ends the timeout after the function returned err and converts the
// timeout's own cancellation into a *TimeoutError.
func (t *Timeout) exit(err error) error {
	t.mu.Lock()
	t.gen++
	t.stopTimersLocked()
	st := t.state
	if st == timeoutExpiring {
		t.state = timeoutExpired
	} else {
		t.state = timeoutExited
	}
	t.mu.Unlock()
	t.ctx.cancel(context.Canceled)
	if st != timeoutExpiring {
		return err
	}
	if t.task != nil {
		// Only when no other cancellation request is pending is the
		// cancellation ours: an outside cancel, or an outer timeout that
		// expired in the same instant, wins and propagates.
		if t.task.Uncancel() <= t.cancelling && err != nil && errors.Is(err, ErrCancelled) && !errors.Is(err, ErrTimeout) {
			return &TimeoutError{Cause: err}
		}
		return err
	}
	if err == nil || errors.Is(err, ErrTimeout) || t.ctx.parent.Err() != nil {
		return err
	}
	if errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &TimeoutError{Cause: err}
	}
	return err
}

// WithTimeout runs fn with a deadline d from now and returns fn's error,
// turned into a *TimeoutError (matching ErrTimeout) when the deadline
// expired and cut fn short. It is WithDeadline(ctx, now+d, fn), with now
// read on the task's loop clock on a loop task and on the wall clock
// elsewhere. Python: asyncio.timeout(d).
//
// d <= 0 is a deadline that has already passed, as in Python's timeout(0)
// and timeout(-1): on a loop task the task is cancelled at its next
// suspension (fn that never waits is not interrupted), on a goroutine fn's
// context is done from the start. NoTimeout sets no deadline at all
// (Python: timeout(None)): it is WithDeadline with the zero time, so
// TimeoutFrom(ctx).When is zero and Reschedule may set one later.
func WithTimeout(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	if ctx == nil {
		return nilCtx("WithTimeout")
	}
	if d == NoTimeout {
		return WithDeadline(ctx, time.Time{}, fn)
	}
	var now time.Time
	if t := park.Current(ctx); t != nil {
		now = t.Loop().Now()
	} else {
		now = time.Now()
	}
	return WithDeadline(ctx, now.Add(d), fn)
}

// WithDeadline runs fn(ctx') with a deadline at when and returns fn's error.
// The zero when means no deadline (set one later with Reschedule). fn runs
// on the calling goroutine or task; ctx' is derived from ctx, carries the
// *Timeout (TimeoutFrom) and is done when the deadline passes.
//
// On a loop task (asyncio.timeout_at semantics) when is read on the loop's
// clock (aio.Loop.Time; virtual in tests). At the deadline the TASK is
// cancelled (so the wait in progress, or the next one, fails with a
// cancellation, and shielded work is not interrupted), and when fn returns
// with that cancellation it is converted into a *TimeoutError whose Cause is
// the cancellation, but only if no other cancellation of the task is pending
// (Uncancel brings Task.Cancelling back to its value at entry). So an outside
// cancellation beats the deadline and propagates unchanged, also when both
// happen in the same loop iteration, and nested timeouts each convert their
// own expiry. If fn swallows the cancellation and returns nil, WithDeadline
// returns nil. A deadline already passed cancels the task at its next
// suspension: fn that never waits is not interrupted.
//
// On a goroutine (any other caller) when is wall-clock time. At the deadline
// ctx' is done with context.DeadlineExceeded (duet waits inside fail with a
// *TimeoutError), and an error from fn that matches ErrCancelled,
// context.Canceled or context.DeadlineExceeded is converted into a
// *TimeoutError, unless ctx itself is done: then the outer cancellation or
// deadline wins and fn's error is returned as is.
//
// A nil fn is an error. A panic in fn propagates after the timeout is
// disarmed.
func WithDeadline(ctx context.Context, when time.Time, fn func(ctx context.Context) error) (err error) {
	if ctx == nil {
		return nilCtx("WithDeadline")
	}
	if fn == nil {
		return errors.New("duet: WithTimeout/WithDeadline with a nil function")
	}
	t := &Timeout{}
	task := park.Current(ctx)
	if task != nil {
		t.task = task
		t.loop = task.Loop()
		t.cancelling = task.Cancelling()
	}
	t.ctx = newScope(ctx, task, t.loop)
	t.ctx.tm = t
	t.mu.Lock()
	fireNow := t.scheduleLocked(when)
	t.mu.Unlock()
	if fireNow != 0 {
		t.fire(fireNow)
	}
	returned := false
	defer func() {
		if !returned {
			t.exit(nil) // panicking: disarm and withdraw our cancellation
		}
	}()
	err = fn(t.ctx)
	returned = true
	return t.exit(err)
}

// WaitFor waits for a for at most timeout and returns its value and error
// (Python 3.12+: asyncio.wait_for, built on the timeout primitive).
//
// When the timeout expires first, a is cancelled and WaitFor waits for it to
// finish: if a then fails as cancelled, WaitFor returns a *TimeoutError
// (matching ErrTimeout, Cause: a's cancellation); if a swallowed the
// cancellation and returned a value, WaitFor returns that value.
//
// timeout <= 0 does not wait (Python's wait_for(aw, 0), and any negative
// timeout): an a already done gives its outcome, any other a is cancelled
// at once, awaited and reported as above. NoTimeout waits without limit
// (Python: wait_for(aw, None)), like Await.
//
// On a loop task WaitFor suspends the task; cancelling the task cancels a
// too and WaitFor then returns a's outcome (a cancellation) once a finishes,
// as in Python. On a goroutine it blocks; when ctx is done or the timeout
// expires it cancels a and waits for a to finish. In both worlds, when
// the timeout expires, a future that refuses the cancellation because it
// runs elsewhere (a thread-pool job already started, a thread) is left
// running and WaitFor returns at once (see Await); a timeout <= 0 waits
// for it, as said above. ctx being done is reported as ctx's cancellation,
// not as a timeout.
func WaitFor[T any](ctx context.Context, a Awaitable[T], timeout time.Duration) (T, error) {
	var zero T
	if ctx == nil {
		return zero, nilCtx("WaitFor")
	}
	f, err := futureOf(a)
	if err != nil {
		return zero, fmt.Errorf("duet: WaitFor: %w", err)
	}
	if timeout <= 0 {
		if f.IsDone() {
			return f.Result()
		}
		f.Cancel("")
		if err := waitDone(ctx, f); err != nil {
			return zero, err
		}
		v, err := f.Result()
		if err != nil && errors.Is(err, ErrCancelled) {
			return zero, &TimeoutError{Cause: err}
		}
		return v, err
	}
	if park.Current(ctx) != nil {
		var v T
		err := WithTimeout(ctx, timeout, func(ctx context.Context) error {
			var err error
			v, err = Await(ctx, f)
			return err
		})
		if err != nil {
			return zero, err
		}
		return v, nil
	}
	if f.IsDone() {
		return f.Result()
	}
	var expiry <-chan time.Time // nil for NoTimeout: never ready
	if timeout != NoTimeout {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		expiry = tm.C
	}
	done := ctx.Done()
	expired := false
	select {
	case <-f.Done():
		return f.Result()
	case <-expiry:
		expired = true
	case <-done:
	}
	if f.Cancel("") || f.IsDone() {
		<-f.Done()
		v, err := f.Result()
		if err == nil || !errors.Is(err, ErrCancelled) {
			return v, err
		}
		if !expired || ctx.Err() != nil {
			return zero, ctxCancelled(ctx)
		}
		return zero, &TimeoutError{Cause: err}
	}
	if !expired {
		return zero, ctxCancelled(ctx)
	}
	return zero, &TimeoutError{Cause: errors.New("duet: WaitFor: the awaitable refused cancellation and keeps running")}
}

// waitDone waits for f to complete without passing a cancellation on to it
// (asyncio's _cancel_and_wait): a cancelled task or done ctx abandons the
// wait.
func waitDone[T any](ctx context.Context, f *Future[T]) error {
	w := park.NewWaiter(ctx).Labeled(labelAwait, f.owner)
	if !f.subscribe(w) {
		return nil
	}
	if err := park.Park(ctx, w); err != nil {
		f.unsubscribe(w)
		if w.State() == park.Woken && park.Current(ctx) == nil {
			return nil
		}
		return err
	}
	return nil
}

// scopeCtx is the context of a duet scope (a timeout, a group): a child of
// parent that is done when the scope ends it or when parent is done.
//
// On a loop task the scope's cancellation reaches the task's waits through
// the task's own cancellation (Task.Cancel), so ScopeOf reports the task and
// aio skips the context.AfterFunc it would otherwise register for every wait
// made with this context. Values (the task, the loop) come from parent.
type scopeCtx struct {
	parent context.Context
	task   park.Task // ScopeOf: non-nil when parent's cancellation too reaches the task as task cancellation
	loop   park.Loop // for Deadline on a task: the loop's clock
	tm     *Timeout

	mu       sync.Mutex
	done     chan struct{}
	err      error
	afters   []*scopeAfter
	watching bool
	stop     func() bool // stops watching parent
}

type scopeAfter struct{ fn func() }

func newScope(parent context.Context, task park.Task, loop park.Loop) *scopeCtx {
	s := &scopeCtx{parent: parent, loop: loop}
	if task != nil && ownedBy(parent, task) {
		s.task = task
	}
	return s
}

// ownedBy reports whether every cancellation of ctx reaches t as a
// cancellation of the task: ctx is t's own context or a duet scope owned
// by t.
func ownedBy(ctx context.Context, t park.Task) bool {
	return t.Owns(ctx)
}

// ScopeOf returns the loop task whose cancellation ends every wait made
// with this context, or nil. aio uses it to avoid watching the context.
func (s *scopeCtx) ScopeOf() park.Task { return s.task }

func (s *scopeCtx) Deadline() (time.Time, bool) {
	pd, pok := s.parent.Deadline()
	if s.tm == nil {
		return pd, pok
	}
	when := s.tm.When()
	if when.IsZero() {
		return pd, pok
	}
	if s.loop != nil {
		// Go APIs compare deadlines with the wall clock.
		when = time.Now().Add(when.Sub(s.loop.Now()))
	}
	if pok && pd.Before(when) {
		return pd, true
	}
	return when, true
}

func (s *scopeCtx) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
		if s.err != nil {
			close(s.done)
		} else {
			s.watchLocked()
		}
	}
	return s.done
}

func (s *scopeCtx) Err() error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := s.parent.Err(); err != nil {
		s.cancel(err)
		return err
	}
	return nil
}

func (s *scopeCtx) Value(k any) any {
	if _, ok := k.(timeoutKey); ok && s.tm != nil {
		return s.tm
	}
	return s.parent.Value(k)
}

func (s *scopeCtx) String() string {
	if s.tm != nil {
		return fmt.Sprintf("%v.WithTimeout", s.parent)
	}
	return fmt.Sprintf("%v.WithGroup", s.parent)
}

// AfterFunc arranges for fn to be called when the scope ends, so that
// context.WithCancel children and context.AfterFunc watch it without a
// goroutine of their own. fn is called synchronously by whoever ends the
// scope (context.AfterFunc still runs the user's function on its own
// goroutine); when the scope has already ended, fn runs on a new goroutine.
func (s *scopeCtx) AfterFunc(fn func()) func() bool {
	a := &scopeAfter{fn: fn}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		go fn()
		return func() bool { return false }
	}
	s.watchLocked()
	s.afters = append(s.afters, a)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.afters {
			if x == a {
				s.afters = append(s.afters[:i], s.afters[i+1:]...)
				return true
			}
		}
		return false
	}
}

// watchLocked makes parent's end reach the scope (lazily: only once someone
// watches the scope's Done or AfterFunc).
func (s *scopeCtx) watchLocked() {
	if s.watching {
		return
	}
	s.watching = true
	if s.parent.Done() == nil {
		return
	}
	s.stop = context.AfterFunc(s.parent, func() { s.cancel(s.parent.Err()) })
}

// cancel ends the scope with err; later calls do nothing.
func (s *scopeCtx) cancel(err error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	if s.done != nil {
		close(s.done)
	}
	afters := s.afters
	s.afters = nil
	stop := s.stop
	s.stop = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	for _, a := range afters {
		a.fn()
	}
}
