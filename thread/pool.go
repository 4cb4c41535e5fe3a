package thread

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// Pool runs submitted functions on a bounded set of worker goroutines, in
// parallel. Python: concurrent.futures.ThreadPoolExecutor, with its
// semantics where they make sense in Go:
//
//   - Workers are created lazily, one per Submit that finds no idle worker,
//     up to the pool's size; idle workers are reused first, most recently
//     idle first, so that with WithIdleTimeout the rarely used ones expire.
//   - Submit returns a *duet.Future: the one future of duet, which loop
//     tasks and goroutines await alike and duet.Wait, AsCompleted, Gather
//     accept. Cancelling it succeeds while the task is queued, and then the
//     function never runs; once running it cannot be cancelled (Cancel
//     reports false): cancel the context given to Submit instead, which
//     the function sees.
//   - Pool.Go runs a function without a future (Go's errgroup.Go, ants'
//     Submit), scheduled as Submit's tasks are; nobody waits for its
//     outcome, so its error or panic goes to the except hook at once.
//   - A task whose context is done before a worker picks it up never runs;
//     its future completes with the cancellation (or timeout).
//   - A panic in a task becomes its future's error (a *duet.PanicError with
//     the stack); the worker survives.
//   - Tasks wait in a bounded queue (WithQueueSize); a Submit that finds
//     it full waits for room (back-pressure) or, WithRejectWhenFull, fails
//     the future with ErrPoolFull.
//   - Submit from a task of the pool itself never queues behind a saturated
//     pool (which could deadlock: every worker waiting for a child that no
//     worker is free to run): see WithNested.
//   - Shutdown, or Close with a deadline, stops it; every future submitted
//     completes (value, error or cancelled), none is lost, and no goroutine
//     is left once the workers have finished.
//
// A Pool is safe for concurrent use. Make one with NewPool.
type Pool struct {
	max    int
	procs  int // GOMAXPROCS when the pool was made
	cfg    poolConfig
	prefix string
	names  atomic.Uint64 // worker names: prefix_k, k from 0

	mu      sync.Mutex
	ring    []runnable // the queue: n tasks from head, circular
	head, n int
	idle    workerList // idle workers, most recently idle first
	waking  int        // idle workers handed a task that have not yet taken the lock back (see wakeLocked)
	live    int        // workers alive, extra ones (Grow) included
	closed  bool
	broken  error
	full    park.List // Submits waiting for room in the queue

	timed     atomic.Bool   // SetTimed: workers time the tasks they run
	completed uint64        // tasks run while timed; guarded by mu
	runTime   time.Duration // their total run time; guarded by mu

	stopped duet.Future[struct{}] // completes when closed and no worker is left
}

// runnable is a queued task, untyped.
type runnable interface {
	run(self *ident) // run on a worker (or inline) whose identity is self
	fail(err error)  // complete a task that will never run
	cancelQueued()   // Shutdown(cancelFutures): cancel a task that will never run
	ctxErr() error   // the cancellation of its context, if it is done already
}

// NestedPolicy tells what Submit does when called from a task of the same
// pool while every worker is busy. See WithNested.
type NestedPolicy int

const (
	// CallerRuns runs the new task inline, in the submitting task's
	// goroutine, before Submit returns (Java's CallerRunsPolicy): no new
	// goroutine, and the submitter, which would typically wait for the
	// result anyway, does the work. The default.
	CallerRuns NestedPolicy = iota
	// Grow starts an extra worker beyond the pool's size for the new task;
	// extra workers exit when they find the queue empty. The pool can then
	// exceed its size by the depth of nesting.
	Grow
)

// String returns the policy's name, "CallerRuns" or "Grow".
func (n NestedPolicy) String() string {
	switch n {
	case CallerRuns:
		return "CallerRuns"
	case Grow:
		return "Grow"
	}
	return "NestedPolicy(" + strconv.Itoa(int(n)) + ")"
}

// PoolOption configures NewPool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	prefix string
	init   func(ctx context.Context) error
	queue  int
	reject bool
	idle   time.Duration
	nested NestedPolicy
	err    error
}

func (c *poolConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// WithNamePrefix names the workers prefix_0, prefix_1, ... (default
// "Pool-N", N counting pools). Python: thread_name_prefix.
func WithNamePrefix(prefix string) PoolOption {
	return func(c *poolConfig) { c.prefix = prefix }
}

// WithInitializer runs fn in every new worker before its first task, with a
// context carrying the worker's identity, so that fn can set up per-worker
// state in a Local (a connection per worker, say). If fn fails or panics,
// the pool is broken: the tasks still queued and every later Submit fail
// with an error matching ErrBrokenPool that wraps fn's error; tasks already
// running finish. Python: initializer (and initargs, which a closure
// replaces); BrokenThreadPool.
func WithInitializer(fn func(ctx context.Context) error) PoolOption {
	return func(c *poolConfig) {
		if fn == nil {
			c.fail(errors.New("thread: WithInitializer(nil): pass a function or leave the option out"))
		}
		c.init = fn
	}
}

// WithQueueSize bounds the queue of tasks waiting for a worker to n (n >= 1;
// default max(1024, 4×workers)). A queued task costs a slot of 16 bytes plus
// its future and function, far less than a goroutine. Python's queue is
// unbounded, which lets a fast producer exhaust memory.
func WithQueueSize(n int) PoolOption {
	return func(c *poolConfig) {
		if n < 1 {
			c.fail(fmt.Errorf("thread: WithQueueSize(%d): the queue needs at least one slot", n))
		}
		c.queue = n
	}
}

// WithRejectWhenFull makes Submit fail the future at once with ErrPoolFull
// when the queue is full, instead of waiting for room (the default, which
// gives back-pressure: a loop task's Submit suspends the task, a
// goroutine's blocks it, until room appears or ctx ends).
func WithRejectWhenFull() PoolOption {
	return func(c *poolConfig) { c.reject = true }
}

// WithIdleTimeout makes a worker that has been idle for d exit; a later
// Submit creates a new one (running the initializer again). duet's
// timeout rule applies: d <= 0 does not wait, so a worker exits as soon as
// it finds no task (a pool without keep-alive), and duet.NoTimeout, the
// default, keeps idle workers until Shutdown, as Python does; an idle
// worker costs a parked goroutine (a few KiB).
func WithIdleTimeout(d time.Duration) PoolOption {
	return func(c *poolConfig) { c.idle = d }
}

// WithNested chooses what Submit does when a task of this pool submits to
// it (its context carries the worker's identity: pass the task's ctx) and
// no worker is idle and the pool is at its size: CallerRuns (the default)
// or Grow. Either way the new task never waits in the queue behind a
// saturated pool, so a task that submits a child and waits for it cannot
// deadlock the pool. Python has no such rule: a task that waits for a child
// in a saturated ThreadPoolExecutor deadlocks.
func WithNested(policy NestedPolicy) PoolOption {
	return func(c *poolConfig) {
		if policy != CallerRuns && policy != Grow {
			c.fail(fmt.Errorf("thread: WithNested(%v): use thread.CallerRuns or thread.Grow", policy))
		}
		c.nested = policy
	}
}

var poolSeq atomic.Uint64

// NewPool returns a pool of at most workers worker goroutines; 0 means
// runtime.GOMAXPROCS(0), a negative count is an error. No worker starts
// before the first Submit.
//
// Sizing. Python's ThreadPoolExecutor defaults to min(32, cpu_count + 4)
// because under the GIL threads run Python code one at a time: a thread
// pool there is for I/O-bound work, where threads mostly wait with the GIL
// released, so a few more threads than CPUs keep the CPUs busy while some
// wait, and the cap of 32 keeps a many-core machine from starting hundreds
// of threads for nothing. In Go every worker runs in parallel, so for
// CPU-bound tasks the right size is GOMAXPROCS (the default): more workers
// only add scheduling and memory. Pick more when tasks block (network,
// disk, syscalls, sleeps, waiting on locks or other services): roughly
// GOMAXPROCS × (1 + wait time / compute time), or the concurrency the
// resource behind the tasks can take (a database's connection limit, say).
//
// Python: concurrent.futures.ThreadPoolExecutor(max_workers, ...).
func NewPool(workers int, opts ...PoolOption) (*Pool, error) {
	if workers < 0 {
		return nil, fmt.Errorf("thread: NewPool(%d): negative worker count (pass 0 for GOMAXPROCS workers, or a positive count)", workers)
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cfg := poolConfig{idle: duet.NoTimeout}
	for _, o := range opts {
		if o == nil {
			cfg.fail(errors.New("thread: NewPool: nil PoolOption"))
			continue
		}
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.queue == 0 {
		cfg.queue = max(1024, 4*workers)
	}
	p := &Pool{max: workers, procs: runtime.GOMAXPROCS(0), cfg: cfg, prefix: cfg.prefix}
	if p.prefix == "" {
		p.prefix = "Pool-" + strconv.FormatUint(poolSeq.Add(1), 10)
	}
	p.ring = make([]runnable, cfg.queue)
	registerPool(p)
	return p, nil
}

// job is a submitted task: its future, its function and the context the
// function receives, in one allocation.
type job[T any] struct {
	fut duet.Future[T]
	// fn is cleared once the task has run or will never run, so that a
	// completed future, which callers may keep for long, does not keep
	// the function and everything it captured alive (Python's executor
	// drops its work item likewise). ctx is kept: the task may have handed
	// its context on.
	fn  func(ctx context.Context) (T, error)
	ctx identCtx // Context: the Submit ctx; id: set by the worker that runs it
}

var (
	errNilPool = errors.New("thread: Submit to a nil *Pool (make one with NewPool)")
	errNilFunc = errors.New("thread: Submit with a nil function")
)

// Submit queues fn to run on a worker of p and returns the future of its
// outcome. Python: Executor.submit(fn, *args) (a closure carries the
// arguments).
//
// fn receives a context with ctx's values and cancellation and the worker's
// identity (see RLock, Local); it hides any loop task ctx belongs to, so
// fn waits like a goroutine. If ctx is done before a worker picks the task
// up, fn never runs and the future completes with the cancellation.
//
// Submit does not wait for fn. It waits only when the queue is full and the
// pool was not made WithRejectWhenFull: then a loop task's Submit suspends
// the task and a goroutine's blocks, until room appears; if ctx ends (or the
// task is cancelled) first, the future completes with the cancellation and
// fn never runs. Called from a task of p itself with every worker busy,
// Submit never waits: see WithNested (with CallerRuns, fn runs before
// Submit returns).
//
// Errors come in the future, never as a panic: a nil p or fn (a clear
// error), a pool that was shut down (an error matching duet.ErrClosed;
// Python raises RuntimeError), a broken pool (ErrBrokenPool), a full queue
// with WithRejectWhenFull (ErrPoolFull).
func Submit[T any](ctx context.Context, p *Pool, fn func(ctx context.Context) (T, error)) *duet.Future[T] {
	j := &job[T]{fn: fn}
	j.ctx.Context = ctx
	switch {
	case ctx == nil:
		j.fail(nilCtx("Submit"))
	case p == nil:
		j.fail(errNilPool)
	case fn == nil:
		j.fail(errNilFunc)
	default:
		if err := p.submit(ctx, j); err != nil {
			j.fail(err)
		}
	}
	return &j.fut
}

func (j *job[T]) fail(err error) {
	var zero T
	j.fn = nil
	complete(&j.fut, zero, err)
}

func (j *job[T]) cancelQueued() {
	defer recoverCallback()
	j.fn = nil
	j.fut.Cancel("thread: pool shut down before the task started")
}

func (j *job[T]) ctxErr() error { return j.ctx.doneErr() }

// doneErr returns the cancellation of the task's context (duet's error for
// it, matching duet.ErrCancelled or duet.ErrTimeout) if it is done, or nil.
func (c *identCtx) doneErr() error {
	if c.Context.Err() == nil {
		return nil
	}
	return park.CtxErr(c.Context)
}

// run runs the task unless it was cancelled or its context ended first.
func (j *job[T]) run(self *ident) {
	var zero T
	if err := j.ctxErr(); err != nil {
		j.fn = nil
		complete(&j.fut, zero, err)
		return
	}
	if !j.fut.SetRunning() {
		j.fn = nil
		return // cancelled while queued
	}
	j.ctx.id = self
	returned := false
	defer func() {
		if returned {
			return
		}
		// A panic becomes the task's error and the worker carries on; on
		// runtime.Goexit the goroutine dies whatever we do (the worker
		// accounts for it), but the future must still complete.
		err := abnormalEnd(recover())
		j.fn = nil
		complete(&j.fut, zero, err)
	}()
	v, err := j.fn(&j.ctx)
	returned = true
	j.fn = nil // before completing: whoever sees the outcome sees fn gone
	complete(&j.fut, v, err)
}

// abnormalEnd is the error of a task function that did not return: r is
// what recover returned in a deferred call, a panic's value or, on
// runtime.Goexit, nil.
func abnormalEnd(r any) error {
	if r != nil {
		return duet.NewPanicError(r)
	}
	return errGoexit
}

// complete completes f, shielding the worker or thread from a panicking
// done callback, which runs synchronously in the completing goroutine
// (concurrent.futures logs and ignores an exception from a callback).
func complete[T any](f *duet.Future[T], v T, err error) {
	defer recoverCallback()
	f.Complete(v, err)
}

func recoverCallback() {
	if r := recover(); r != nil {
		slog.Error("thread: a done callback of a future panicked", "panic", r, "stack", string(debug.Stack()))
	}
}

// submit queues j, hands it to an idle worker, starts a worker for it, or
// runs it inline, and returns nil; or it returns the error j must fail with,
// j having gone nowhere. Returning the error, rather than calling j.fail
// here, lets Go hand it to its caller: once j is queued or handed to a
// worker, only that worker or Shutdown may touch j.
func (p *Pool) submit(ctx context.Context, j runnable) error {
	var self *ident
	if id := identOf(ctx); id != nil && id.pool == p {
		if _, task := ownerOf(ctx).(park.Task); !task {
			self = id
		}
	}
	p.mu.Lock()
	for {
		if p.closed {
			err := p.closedErrLocked()
			p.mu.Unlock()
			return err
		}
		if p.idle.n > 0 {
			if p.wakeNowLocked() {
				w, first := p.wakeLocked(j)
				p.mu.Unlock()
				w.ch <- first
				return nil
			}
			// A worker is being woken: it will wake the next one if it
			// finds this task still queued (the queue has room: see
			// wakeNowLocked).
			p.pushLocked(j)
			p.mu.Unlock()
			return nil
		}
		if p.live < p.max {
			p.live++
			p.mu.Unlock()
			p.spawn(j)
			return nil
		}
		if self != nil {
			if p.cfg.nested == Grow {
				p.live++
				p.mu.Unlock()
				p.spawn(j)
				return nil
			}
			p.mu.Unlock()
			j.run(self)
			return nil
		}
		if p.n < len(p.ring) {
			p.pushLocked(j)
			p.mu.Unlock()
			return nil
		}
		if p.cfg.reject {
			p.mu.Unlock()
			return fmt.Errorf("%w (%d tasks queued, %d workers busy): retry later, or make the pool without WithRejectWhenFull to wait for room", ErrPoolFull, len(p.ring), p.live)
		}
		if err := j.ctxErr(); err != nil {
			// Do not wait for room for a task that would never run.
			p.mu.Unlock()
			return err
		}
		w := park.NewWaiter(ctx).Labeled(labelSubmit, p)
		p.full.PushBack(w)
		p.mu.Unlock()
		err := park.Park(ctx, w)
		p.mu.Lock()
		p.full.Remove(w)
		if err != nil {
			if w.State() == park.Woken {
				p.wakeFullLocked(1) // pass on the room this waiter was given
			}
			p.mu.Unlock()
			return err
		}
	}
}

func (p *Pool) closedErrLocked() error {
	if p.broken != nil {
		return p.broken
	}
	return fmt.Errorf("thread: %w: cannot submit to a pool that was shut down (Python: RuntimeError 'cannot schedule new futures after shutdown')", duet.ErrClosed)
}

// wakeNowLocked tells whether a Submit that finds idle workers should wake
// one now rather than queue its task. Waking a parked goroutine costs about
// a microsecond, several times a tiny task, and a fast submitter that hands
// every task to its own idle worker spends its time waking workers that
// each find nothing more to do. So, like the Go scheduler, which keeps at
// most one spinning M looking for work, the pool wakes one worker at a time:
// while one is waking, Submits queue their tasks, and the woken worker,
// once it runs, wakes the next if tasks are still queued (see woke). Tasks
// then run in batches on the workers already awake, and a burst wakes
// workers one after another rather than all at once.
//
// A full queue always wakes a worker, so that a Submit never waits for room
// (nor fails WithRejectWhenFull) while workers are idle.
func (p *Pool) wakeNowLocked() bool {
	return p.waking == 0 || p.n == len(p.ring) || p.live-p.idle.n < p.procs
}

// wakeLocked takes the most recently idle worker, counts it as waking and
// returns it with the task to hand it: the oldest queued task if any, j
// then taking its place at the back of the queue (start order stays FIFO),
// or j itself. j may be nil (from woke): then the queue is not empty.
func (p *Pool) wakeLocked(j runnable) (*worker, runnable) {
	w := p.idle.popFront()
	p.waking++
	if p.n > 0 {
		first := p.ring[p.head]
		p.ring[p.head] = nil
		p.head++
		if p.head == len(p.ring) {
			p.head = 0
		}
		p.n--
		if j != nil {
			p.pushLocked(j)
		}
		j = first
	}
	return w, j
}

// woke is called by a worker that was handed a task, before it runs it: it
// is no longer waking, and if tasks are still queued while workers idle it
// wakes the next one (its task might run for long).
func (p *Pool) woke() {
	p.mu.Lock()
	p.waking--
	if p.n == 0 || p.idle.n == 0 || !p.wakeNowLocked() {
		p.mu.Unlock()
		return
	}
	w, j := p.wakeLocked(nil)
	if p.full.Len() > 0 && p.n <= len(p.ring)/2 {
		p.wakeFullLocked(len(p.ring) - p.n)
	}
	p.mu.Unlock()
	w.ch <- j
}

// pushLocked queues j; the queue has room.
func (p *Pool) pushLocked(j runnable) {
	i := p.head + p.n
	if i >= len(p.ring) {
		i -= len(p.ring)
	}
	p.ring[i] = j
	p.n++
}

// popLocked takes the oldest queued task and, once the queue is down to half
// full, wakes as many waiting Submits as there are free slots: waking in
// batches rather than one per slot lets a blocked producer refill many slots
// per wake-up.
func (p *Pool) popLocked() runnable {
	j := p.ring[p.head]
	p.ring[p.head] = nil
	p.head++
	if p.head == len(p.ring) {
		p.head = 0
	}
	p.n--
	if p.full.Len() > 0 && p.n <= len(p.ring)/2 {
		p.wakeFullLocked(len(p.ring) - p.n)
	}
	return j
}

// wakeFullLocked wakes up to k waiting Submits.
func (p *Pool) wakeFullLocked(k int) {
	for ; k > 0 && p.full.WakeFirst(); k-- {
	}
}

// worker is a pool goroutine; its identity is what its tasks' contexts
// carry.
type worker struct {
	ident
	ch         chan runnable // a task handed to this idle worker; nil: exit
	timer      *time.Timer   // idle timeout
	prev, next *worker       // idle list
	inIdle     bool
}

// workerList is an intrusive list of idle workers.
type workerList struct {
	head *worker
	n    int
}

func (l *workerList) pushFront(w *worker) {
	w.prev, w.next = nil, l.head
	if l.head != nil {
		l.head.prev = w
	}
	l.head = w
	w.inIdle = true
	l.n++
}

func (l *workerList) popFront() *worker {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}

func (l *workerList) remove(w *worker) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.inIdle = nil, nil, false
	l.n--
}

// spawn starts a worker (already counted in live) whose first task is j
// (nil: start by taking from the queue).
func (p *Pool) spawn(j runnable) {
	w := &worker{ch: make(chan runnable, 1)}
	w.id = idSeq.Add(1)
	w.name = p.prefix + "_" + strconv.FormatUint(p.names.Add(1)-1, 10)
	w.pool = p
	register(&w.ident)
	go p.work(w, j)
}

func (p *Pool) work(w *worker, j runnable) {
	exited := false
	initialized := p.cfg.init == nil
	defer func() {
		if exited {
			return
		}
		// runtime.Goexit in a task or the initializer: this goroutine is
		// gone. Account for it, and make sure queued tasks keep a worker.
		if !initialized {
			p.breakPool(errGoexit, j)
		}
		p.lost(w)
	}()
	if !initialized {
		err := p.initialize(w)
		initialized = true
		if err != nil {
			p.breakPool(err, j)
			exited = true
			p.mu.Lock()
			last := p.leaveLocked(w)
			p.mu.Unlock()
			p.left(last)
			return
		}
	}
	for {
		var ran time.Duration
		timed := false
		if j != nil {
			if timed = p.timed.Load(); timed {
				t0 := time.Now()
				j.run(&w.ident)
				ran = time.Since(t0)
			} else {
				j.run(&w.ident)
			}
		}
		p.mu.Lock()
		if timed { // under the lock the worker takes anyway
			p.completed++
			p.runTime += ran
		}
		if p.n > 0 {
			j = p.popLocked()
			p.mu.Unlock()
			continue
		}
		if p.closed || p.live > p.max || p.cfg.idle <= 0 {
			// Idle timeout <= 0: leave instead of idling.
			last := p.leaveLocked(w)
			p.mu.Unlock()
			exited = true
			p.left(last)
			return
		}
		p.idle.pushFront(w)
		p.mu.Unlock()
		if j = p.idleWait(w); j == nil {
			exited = true
			return
		}
	}
}

// idleWait waits for a task handed to w. It returns nil when w has left the
// pool (shutdown, or the idle timeout passed).
func (p *Pool) idleWait(w *worker) runnable {
	d := p.cfg.idle
	if d != duet.NoTimeout { // d > 0: the worker loop does not idle for d <= 0
		if w.timer == nil {
			w.timer = time.NewTimer(d)
		} else {
			w.timer.Reset(d)
		}
		select {
		case j := <-w.ch:
			w.timer.Stop()
			return p.handed(w, j)
		case <-w.timer.C:
		}
		p.mu.Lock()
		if w.inIdle {
			// Leave in the same critical section that takes w off the
			// idle list: a Submit must never count w as a live worker
			// that will drain the queue once w has decided to go.
			p.idle.remove(w)
			last := p.leaveLocked(w)
			p.mu.Unlock()
			p.left(last)
			return nil
		}
		p.mu.Unlock()
		// A Submit (or Shutdown) took w off the idle list just as the
		// timer fired, and is handing it a task (or nil).
	}
	return p.handed(w, <-w.ch)
}

// handed accounts for what an idle worker was handed: a task, or nil from
// Shutdown, which means leave.
func (p *Pool) handed(w *worker, j runnable) runnable {
	if j == nil {
		p.mu.Lock()
		last := p.leaveLocked(w)
		p.mu.Unlock()
		p.left(last)
		return nil
	}
	p.woke()
	return j
}

func (p *Pool) initialize(w *worker) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = duet.NewPanicError(r)
		}
	}()
	ctx := &identCtx{Context: context.Background(), id: &w.ident}
	return p.cfg.init(ctx)
}

// leaveLocked takes w out of the pool's accounts, in the critical section
// where w decides to leave, and reports whether it is the last worker of a
// closed pool. Unregistering here too means that once Shutdown(wait)
// returns, Enumerate lists none of the pool's workers.
func (p *Pool) leaveLocked(w *worker) (last bool) {
	unregister(&w.ident)
	p.live--
	return p.closed && p.live == 0
}

// left completes the pool's stop once its last worker has left.
func (p *Pool) left(last bool) {
	if last {
		p.stopped.SetResult(struct{}{})
	}
}

// lost accounts for a worker killed by runtime.Goexit, starting a
// replacement when tasks are queued (they may have no other worker to wait
// for: a task is queued only while every worker is busy or one is waking).
func (p *Pool) lost(w *worker) {
	p.mu.Lock()
	last := p.leaveLocked(w)
	replace := p.n > 0
	if replace {
		p.live++
	}
	p.mu.Unlock()
	if replace {
		p.spawn(nil)
	}
	p.left(last && !replace)
}

// breakPool marks the pool broken after an initializer failed: first (the
// task the failing worker was started for) and every queued task fail, and
// the pool stops accepting tasks.
func (p *Pool) breakPool(cause error, first runnable) {
	var err error = &brokenPoolError{cause: cause}
	p.mu.Lock()
	if p.broken == nil {
		p.broken = err
	}
	err = p.broken
	p.mu.Unlock()
	if first != nil {
		first.fail(err)
	}
	p.shutdown(true)
}

// Shutdown stops the pool: later Submits fail with an error matching
// duet.ErrClosed (ErrBrokenPool if the pool broke), and Submits waiting for
// room in the queue fail with it too. Queued tasks still run, unless
// cancelFutures is true: then their futures are cancelled and their
// functions never run. Running tasks are never interrupted. Workers exit
// once the queue is empty.
//
// With wait, Shutdown blocks until every worker has exited: every task
// submitted has then completed and the pool holds no goroutine. It must not
// be called with wait from a task of the pool (it would wait for itself;
// Close detects that). Shutdown may be called any number of times, from any
// goroutine; a later call with cancelFutures still cancels what is queued.
//
// Python: Executor.shutdown(wait=True, cancel_futures=False).
func (p *Pool) Shutdown(wait, cancelFutures bool) {
	p.shutdown(cancelFutures)
	if wait {
		<-p.stopped.Done()
	}
}

func (p *Pool) shutdown(cancelQueued bool) {
	p.mu.Lock()
	first := !p.closed
	p.closed = true
	var idle []*worker
	for w := p.idle.popFront(); w != nil; w = p.idle.popFront() {
		idle = append(idle, w)
	}
	full := p.full.Detach()
	var queued []runnable
	if cancelQueued {
		queued = make([]runnable, 0, p.n)
		for p.n > 0 {
			queued = append(queued, p.popLocked())
		}
	}
	broken := p.broken
	last := first && p.live == 0
	p.mu.Unlock()
	for _, w := range idle {
		w.ch <- nil
	}
	park.WakeChain(full)
	for _, j := range queued {
		if broken != nil {
			j.fail(broken)
		} else {
			j.cancelQueued()
		}
	}
	if last {
		p.stopped.SetResult(struct{}{})
	}
}

// Close shuts the pool down and waits, until ctx ends, for the queued and
// running tasks to finish and every worker to exit; it returns nil then.
// If ctx ends first, Close cancels the tasks still queued (they never run),
// and returns an error matching duet.ErrTimeout for a deadline or
// duet.ErrCancelled otherwise; the running tasks cannot be interrupted and
// finish in the background, their workers exiting after them. On a loop
// task Close suspends the task (a cancelled task ends the wait likewise); on
// a goroutine it blocks.
//
// Close is idempotent: a later call waits again and returns nil once the
// pool has stopped. Called from a task of the pool itself, it shuts the pool
// down but returns an error matching duet.ErrInvalidState at once rather
// than wait for itself. Close is the shutdown contract duet's event loop
// follows too; Shutdown(true, false) is Close without a deadline.
//
// Python: Executor.shutdown(wait=True), with a timeout Python lacks
// (asyncio's shutdown_default_executor(timeout) comes closest).
func (p *Pool) Close(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("Pool.Close")
	}
	p.shutdown(false)
	if id := identOf(ctx); id != nil && id.pool == p {
		if _, task := ownerOf(ctx).(park.Task); !task {
			return fmt.Errorf("thread: Pool.Close: %w: called from a task of the pool itself, which cannot wait for its own worker (the pool is shut down; close it from outside to wait)", duet.ErrInvalidState)
		}
	}
	if err := waitDone(ctx, &p.stopped); err != nil {
		p.shutdown(true)
		s := p.Stats()
		return fmt.Errorf("thread: Pool.Close gave up waiting (%d workers still running tasks; the queued tasks were cancelled): %w", s.Live, err)
	}
	return nil
}

// PoolStats is a snapshot of a pool's state.
type PoolStats struct {
	Size    int  // the most workers the pool runs (extra ones of Grow aside)
	Live    int  // workers alive now
	Idle    int  // live workers waiting for a task
	Queued  int  // tasks waiting for a worker
	Waiting int  // Submits waiting for room in the full queue
	Closed  bool // Shutdown or Close was called, or the pool broke
	// Timed reports SetTimed(true); Completed and RunTime count the tasks
	// run, and their total run time, while it was on.
	Timed     bool
	Completed uint64
	RunTime   time.Duration
}

// Stats returns a snapshot of p's state, for monitoring and tests.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Size: p.max, Live: p.live, Idle: p.idle.n, Queued: p.n, Waiting: p.full.Len(), Closed: p.closed,
		Timed: p.timed.Load(), Completed: p.completed, RunTime: p.runTime}
}

// SetTimed turns the timing of tasks on or off (off by default: it reads
// the clock twice per task). Inspection tools (inspect.Monitor) turn it on
// for the pools they watch; Stats then counts tasks and their run time.
func (p *Pool) SetTimed(on bool) { p.timed.Store(on) }

// Size returns the most workers p runs (Python: _max_workers).
func (p *Pool) Size() int { return p.max }

var labelSubmit = park.NewLabel("Pool.Submit (queue full)")
