package duet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/duet-go/duet/internal/park"
)

// ErrBrokenBarrier matches (with errors.Is) the error of a Wait on a broken
// barrier, or of a Wait that the barrier's breaking or resetting ended. The
// error's text says why (Abort, Reset, a failed action, a waiter that gave
// up). It also matches a goroutine's Wait that a ctx deadline ended (which
// matches ErrTimeout too), as threading's timeout raises BrokenBarrierError.
// Python: asyncio.BrokenBarrierError, threading.BrokenBarrierError.
var ErrBrokenBarrier = errors.New("duet: broken barrier")

var (
	errBarrierAborted  = fmt.Errorf("%w: Abort was called (Reset makes it usable again)", ErrBrokenBarrier)
	errBarrierReset    = fmt.Errorf("%w: Reset was called while this party waited", ErrBrokenBarrier)
	errBarrierGaveUp   = fmt.Errorf("%w: a waiting goroutine's context ended (Reset makes it usable again)", ErrBrokenBarrier)
	errBarrierAction   = fmt.Errorf("%w: the barrier's action failed (Reset makes it usable again)", ErrBrokenBarrier)
	errBarrierZero     = errors.New("duet: Barrier: zero Barrier (make one with NewBarrier)")
	errBarrierNilOpt   = errors.New("duet: NewBarrier: nil BarrierOption")
	errBarrierNilActFn = errors.New("duet: WithBarrierAction(nil): pass the function to run when the barrier trips")
)

// Barrier makes a fixed number of parties (tasks or goroutines, mixed
// freely) wait for each other: each calls Wait, and when the last one
// arrives they are all released together. Python: asyncio.Barrier and
// threading.Barrier (with its action).
//
// A released round drains before the barrier serves the next one, as
// CPython's barriers do (asyncio's DRAINING state, threading's _enter): a
// party that arrives while a round is complete (its action running) or
// draining (released, some of its parties not yet back from Wait) waits
// until every party of that round has left Wait, then joins the next round.
// So more parties than the barrier has can never wait in one round, a party
// that calls Wait again at once does not overtake the others of its round,
// and NWaiting reads 0 while a round drains. A released party that has not
// yet left Wait when the barrier breaks (Abort; on a task also Reset) fails
// with ErrBrokenBarrier, as CPython's parties look at the barrier's state
// when they resume; the last party, which leaves at once, keeps its index.
//
// A Barrier can break: Abort breaks it, a failing action breaks it, and so
// does a goroutine whose ctx ends while it waits (threading's timeout). Then
// every waiter, and every later Wait until Reset, fails with an error
// matching ErrBrokenBarrier.
//
// A loop task that is cancelled while it waits does not break the barrier:
// it withdraws, as in asyncio, and the round waits for another party. This
// holds for any end of a task's wait (a task cancel, an asyncio-style
// timeout, or a ctx of the task's that ends).
//
// Make one with NewBarrier; a Barrier must not be copied.
type Barrier struct {
	mu      sync.Mutex
	parties int
	action  func(ctx context.Context) error
	round   *barrierRound // the round being filled, or whose action runs
	drain   *barrierRound // the last round to end, while parties of it are still in Wait
	broken  error         // nil, or why the barrier is broken
	acting  bool          // round is complete and its action is running
	entry   park.List     // arrivals waiting for the action or the drain to finish
}

// barrierRound is one filling of the barrier.
type barrierRound struct {
	waiters park.List // pending parties in arrival order (cancelled ones until removed)
	count   int       // parties in the round, including the one completing it
	inside  int       // once done: parties still in Wait, the last one excepted
	done    bool      // released or broken
	// err is the outcome of the parties still in Wait: nil, released; else
	// why they fail. Abort sets it on a draining round, and, during the
	// action, on the round whose action runs (applied at the release).
	err error
	// reset: Reset came after the release (or during the action), with
	// parties still in Wait; asyncio fails the tasks among them
	// (RESETTING), threading lets the goroutines pass (it stays DRAINING).
	reset bool
	late  park.List // goroutines whose ctx ended during the action, waiting for its outcome
}

// BarrierOption configures NewBarrier.
type BarrierOption func(*Barrier) error

// WithBarrierAction makes the last party to arrive in each round run fn
// before the round is released (threading.Barrier's action). fn gets that
// party's ctx, so on a loop task it may wait with duet operations; it must
// not Wait on its own barrier. If fn returns an error or panics, the barrier
// breaks: the last party's Wait returns fn's error (a panic as a
// *PanicError), and the others get an error matching ErrBrokenBarrier.
//
// While fn runs the round is complete but not yet released, as in
// threading, where the action runs under the barrier's lock: NWaiting
// reports the round's parties, a goroutine whose ctx ends meanwhile waits
// for the outcome and gets it (its index, or the broken barrier), and an
// Abort or Reset takes effect as if it came right after the release.
func WithBarrierAction(fn func(ctx context.Context) error) BarrierOption {
	return func(b *Barrier) error {
		if fn == nil {
			return errBarrierNilActFn
		}
		b.action = fn
		return nil
	}
}

// NewBarrier returns a barrier for parties parties (at least 1; fewer is an
// error, as in Python). Python: asyncio.Barrier(parties),
// threading.Barrier(parties, action=).
func NewBarrier(parties int, opts ...BarrierOption) (*Barrier, error) {
	if parties < 1 {
		return nil, fmt.Errorf("duet: NewBarrier(%d): parties must be >= 1", parties)
	}
	b := &Barrier{parties: parties, round: &barrierRound{}}
	for _, o := range opts {
		if o == nil {
			return nil, errBarrierNilOpt
		}
		if err := o(b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Wait waits until Parties() parties (this one included) are waiting, and
// returns this party's index in the round: 0 to Parties()-1, in the order
// the parties joined the round, unique within the round (asyncio may repeat
// an index after a waiter withdrew; duet numbers the parties when the round
// is released). The last party to arrive gets Parties()-1 and runs the
// action, if any, before the others are released. On error the index is -1.
// A party that arrives while the previous round is still draining first
// waits for it to drain (see Barrier).
//
// On a loop task Wait suspends the task; on a goroutine it blocks. Errors:
//   - the barrier is broken, breaks, or is Reset while this party waits, or
//     breaks (on a task: or is Reset) after this party's round was released
//     but before this party left Wait: an error matching ErrBrokenBarrier;
//   - a loop task is cancelled (or its ctx ends) first: the cancellation
//     error; the task withdraws and the barrier stays whole (asyncio). If
//     the round had already been released when the cancellation arrived,
//     the task still gets the cancellation, as in asyncio;
//   - a goroutine's ctx ends first: the ctx error (ErrCancelled or
//     ErrTimeout), and the barrier breaks for the others (threading's
//     timeout). The error of a deadline also matches ErrBrokenBarrier, as
//     threading.Barrier.wait(timeout=) raises BrokenBarrierError (a task's
//     timeout is ErrTimeout only, as asyncio.wait_for(b.wait()) raises
//     TimeoutError). If the round was released first, or its action was
//     running, the goroutine gets the round's outcome instead. A party
//     still waiting for a running action or a drain to finish has not
//     joined a round yet: its ctx ending breaks nothing.
//
// Python: await asyncio.Barrier.wait(), threading.Barrier.wait(timeout=).
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.parties == 0 {
		return -1, errBarrierZero
	}
	if ctx == nil {
		return -1, nilCtx("Barrier.Wait")
	}
	b.mu.Lock()
	for (b.acting || b.drain != nil) && b.broken == nil {
		w := park.NewWaiter(ctx).Labeled(labelBarrier, b)
		b.entry.PushBack(w)
		b.mu.Unlock()
		_, err := park.Wait(ctx, w, b.dropEntry)
		b.mu.Lock()
		b.entry.Remove(w)
		// Entry waiters are all woken together, so a task woken and
		// cancelled has no wake-up to pass on.
		if err != nil {
			b.mu.Unlock()
			return -1, err
		}
	}
	if err := b.broken; err != nil {
		b.mu.Unlock()
		return -1, err
	}

	r := b.round
	r.count++
	if r.count == b.parties {
		return b.trip(ctx, r)
	}
	w := park.NewWaiter(ctx).Labeled(labelBarrier, b)
	r.waiters.PushBack(w)
	b.mu.Unlock()

	_, err := park.Wait(ctx, w, func(w *park.Waiter) { b.drop(r, w) })

	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil && !r.done && w.Task() == nil && b.acting && b.round == r {
		// The round is complete and its action runs: in threading the
		// action holds the barrier's lock, so a thread whose timeout ends
		// now sees the round's outcome before it can give up. Wait for it.
		late := park.NewWaiter(context.Background())
		r.late.PushBack(late)
		b.mu.Unlock()
		park.Park(context.Background(), late)
		b.mu.Lock()
	}
	if r.done {
		// Released or broken with this party counted, before or while
		// its wait ended: it leaves the round now.
		b.leaveLocked(r)
		if err != nil && w.Task() != nil {
			return -1, err // asyncio: the cancellation wins
		}
		if err := r.outcome(w); err != nil {
			return -1, err
		}
		return w.Val.(int), nil
	}
	// The wait ended before the round did.
	r.waiters.Remove(w)
	r.count--
	if w.Task() == nil {
		b.breakLocked(errBarrierGaveUp)
	}
	return -1, threadTimeout(w, err, errBarrierGaveUp)
}

// outcome is what Wait returns for w, a party of the done round r.
func (r *barrierRound) outcome(w *park.Waiter) error {
	if r.err == nil && r.reset && w.Task() != nil {
		return errBarrierReset
	}
	return r.err
}

func (b *Barrier) dropEntry(w *park.Waiter) {
	b.mu.Lock()
	b.entry.Remove(w)
	b.mu.Unlock()
}

// drop takes a destroyed task out of round r: out of its waiters while r
// fills, out of the parties still in Wait once r is done.
func (b *Barrier) drop(r *barrierRound, w *park.Waiter) {
	b.mu.Lock()
	if !r.done {
		if r.waiters.Remove(w) {
			r.count--
		}
	} else {
		b.leaveLocked(r)
	}
	b.mu.Unlock()
}

// leaveLocked records that a party of the done round r has left Wait; the
// last one to leave ends the drain and lets the held arrivals in (asyncio's
// and threading's _exit).
func (b *Barrier) leaveLocked(r *barrierRound) {
	r.inside--
	if r.inside == 0 && b.drain == r {
		b.drain = nil
		park.WakeChain(b.entry.Detach())
	}
}

// trip completes round r, whose last party is the caller: it runs the action
// (without the lock) and releases the round. Called with b.mu held; returns
// with it released.
func (b *Barrier) trip(ctx context.Context, r *barrierRound) (int, error) {
	var aerr error
	if b.action != nil {
		b.acting = true
		b.mu.Unlock()
		aerr = runBarrierAction(ctx, b.action)
		b.mu.Lock()
		b.acting = false
		if aerr != nil {
			b.broken = errBarrierAction
			r.err = errBarrierAction
		}
		// An Abort during the action set r.err (and b.broken), a Reset
		// r.reset: both apply to the released parties, as threading's,
		// which wait for the action, would.
	}
	b.round = &barrierRound{}
	b.finishLocked(r, r.err)
	if b.drain == nil || b.broken != nil {
		// Arrivals held by the action: no drain to wait for (a barrier
		// of one party), or the barrier broke; they look again.
		park.WakeChain(b.entry.Detach())
	}
	b.mu.Unlock()
	if aerr != nil {
		return -1, aerr
	}
	return b.parties - 1, nil
}

func runBarrierAction(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = NewPanicError(v)
		}
	}()
	return fn(ctx)
}

// finishLocked ends round r with err (nil: released), numbering its waiting
// parties in arrival order. The round drains until they have all left Wait.
func (b *Barrier) finishLocked(r *barrierRound, err error) {
	r.done = true
	r.err = err
	i := 0
	for w := r.waiters.Front(); w != nil; w = w.Next() {
		// A party whose wait is ending (cancelled, not yet back) was
		// counted too: it gets its index if it is a goroutine.
		w.Val = i
		i++
	}
	if i > 0 {
		r.inside = i
		b.drain = r
	}
	park.WakeChain(r.waiters.Detach())
	park.WakeChain(r.late.Detach())
}

// breakLocked breaks the barrier: the filling round's parties get err, and
// so do those of a released round still draining (CPython's parties see the
// broken state when they resume). The round whose action runs gets it when
// the action ends.
func (b *Barrier) breakLocked(err error) {
	b.broken = err
	switch r := b.round; {
	case b.acting:
		r.err = err
	case r.count > 0:
		b.finishLocked(r, err)
		b.round = &barrierRound{}
	}
	if d := b.drain; d != nil {
		d.err = err
	}
	park.WakeChain(b.entry.Detach())
}

// Abort breaks the barrier: the parties waiting now (including those of a
// released round that have not left Wait yet) and every later Wait fail
// with an error matching ErrBrokenBarrier, until Reset. Abort never waits:
// during the action it takes effect at the release. Python: Barrier.abort().
func (b *Barrier) Abort() {
	if b.parties == 0 {
		return
	}
	b.mu.Lock()
	b.breakLocked(errBarrierAborted)
	b.mu.Unlock()
}

// Reset returns the barrier to its initial state: the parties waiting now
// fail with an error matching ErrBrokenBarrier, and a broken barrier becomes
// usable again. Parties of a released round that have not left Wait yet
// fail too if they are tasks (asyncio); goroutines among them keep their
// index (threading). Arrivals wait until every party of the reset round has
// left Wait, as in CPython (RESETTING). Reset never waits: during the action
// it takes effect at the release. Python: Barrier.reset().
func (b *Barrier) Reset() {
	if b.parties == 0 {
		return
	}
	b.mu.Lock()
	b.broken = nil
	switch r := b.round; {
	case b.acting:
		r.reset = true
	case r.count > 0:
		b.finishLocked(r, errBarrierReset)
		b.round = &barrierRound{}
	}
	if d := b.drain; d != nil {
		d.reset = true
	}
	b.mu.Unlock()
}

// Parties returns the number of parties a round needs.
// Python: Barrier.parties.
func (b *Barrier) Parties() int { return b.parties }

// NWaiting returns the number of parties waiting in the round being filled:
// 0 while the barrier is broken or a released round drains, the round's
// parties while its action runs (threading). Python: Barrier.n_waiting.
func (b *Barrier) NWaiting() int {
	if b.parties == 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.broken != nil || b.drain != nil {
		return 0
	}
	return b.round.count
}

// Broken reports whether the barrier is broken. Python: Barrier.broken.
func (b *Barrier) Broken() bool {
	if b.parties == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.broken != nil
}

var labelBarrier = park.NewLabel("Barrier.Wait")
