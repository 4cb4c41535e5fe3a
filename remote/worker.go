package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/duet-go/duet"
)

// Worker runs the tasks of a registry as they arrive, in N slots (N tasks
// at once), acknowledging each to JetStream once its result is sent.
//
// While a task runs the worker sends JetStream a heartbeat ("in progress")
// every third of the ack wait, so a task may run far longer than the ack
// wait while a dead worker's task is redelivered within it. At each
// heartbeat of a task that has run a while the worker also checks that its
// caller is still there (a request to the caller's inbox, answered "no
// responders" at once when it is gone) and cancels the task if not: a
// caller's restart does not leave its tasks running forever.
//
// A Worker is safe for concurrent use. Make one with Serve. Python: a Dask
// worker, a Ray worker process.
type Worker struct {
	e    *Engine
	reg  *Registry
	cfg  workerConfig
	iter jetstream.MessagesContext
	sub  *nats.Subscription // cancels
	beat time.Duration

	mu        sync.Mutex
	running   map[string]*run
	cancelled [2]map[string]struct{} // recent cancels, two generations
	rotated   time.Time
	closed    bool
	aborted   bool // Shutdown(_, true): running tasks are cancelled, and any starting

	goroutines sync.WaitGroup // the slots and the heartbeat
	quit       chan struct{}
}

// run is a task running on a worker.
type run struct {
	msg     jetstream.Msg
	cancel  context.CancelCauseFunc
	inbox   string // the caller's
	started time.Time
	info    Info
	ctx     taskCtx // the handler's
}

// taskCtx is a task's context carrying its Info (InfoFrom): one
// allocation with the run, where context.WithValue made one more.
type taskCtx struct {
	context.Context
	info *Info
}

func (c *taskCtx) Value(key any) any {
	if key == (infoKey{}) {
		return c.info
	}
	return c.Context.Value(key)
}

// WorkerOption configures Serve.
type WorkerOption func(*workerConfig)

type workerConfig struct {
	slots int
	codec Codec
	err   error
}

// WithSlots sets how many tasks the worker runs at once (n >= 1; default
// GOMAXPROCS, right for CPU-bound tasks; more for tasks that wait).
func WithSlots(n int) WorkerOption {
	return func(c *workerConfig) {
		if n < 1 {
			c.err = fmt.Errorf("remote: WithSlots(%d): a worker needs at least one slot", n)
		}
		c.slots = n
	}
}

// WithWorkerCodec sets the codec the worker decodes arguments and encodes
// results with (JSON by default); it must be the callers' (WithCodec).
func WithWorkerCodec(c Codec) WorkerOption {
	return func(cfg *workerConfig) {
		if c == nil {
			cfg.err = errors.New("remote: WithWorkerCodec(nil): pass a Codec, or leave the option out for JSON")
		}
		cfg.codec = c
	}
}

// errCallerGone is the cause of a task cancelled because nobody waits for
// its result any more.
var errCallerGone = errors.New("remote: the caller is gone")

// errCancelledByCaller is the cause of a task its caller cancelled.
var errCancelledByCaller = &duet.CancelledError{Msg: "remote: cancelled by the caller"}

// errShutdown is the cause of a task cut short by Shutdown(_, true).
var errShutdown = fmt.Errorf("remote: the worker shut down: %w", duet.ErrClosed)

// Serve starts a worker running reg's tasks from e, and returns it at
// once; tasks run in goroutines of their own until Shutdown (or e's Close).
// Errors: a bad option, a nil engine or registry, a closed engine.
func Serve(e *Engine, reg *Registry, opts ...WorkerOption) (*Worker, error) {
	switch {
	case e == nil:
		return nil, errors.New("remote: Serve with a nil *Engine (make one with NewEngine)")
	case reg == nil:
		return nil, errors.New("remote: Serve with a nil *Registry (make one with NewRegistry)")
	}
	cfg := workerConfig{slots: runtime.GOMAXPROCS(0), codec: JSON}
	for _, o := range opts {
		if o == nil {
			cfg.err = errors.New("remote: Serve: nil WorkerOption")
			continue
		}
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if e.isClosed() {
		return nil, errEngineClosed
	}
	w := &Worker{
		e: e, reg: reg, cfg: cfg,
		running: map[string]*run{}, rotated: time.Now(), quit: make(chan struct{}),
		cancelled: [2]map[string]struct{}{{}, {}},
	}
	w.beat = e.cons.CachedInfo().Config.AckWait / 3
	var err error
	if w.sub, err = e.nc.Subscribe(cancelSubj, w.onCancel); err != nil {
		return nil, fmt.Errorf("remote: Serve: cannot subscribe to cancellations: %w", err)
	}
	// Fetch no more than the slots can take: a fetched task waits for a
	// slot without heartbeats, and past the ack wait runs elsewhere too.
	// A short pull expiry: at one task at a time the pull consumer was
	// seen to stall now and then until its pull request expired (nats.go's
	// default is 30 s, remotebench's raw loop stalls the same way), and a
	// fresh request every second (nats.go's least) bounds the stall to
	// that. remotebench saw the 2 s stalls of a 2 s expiry at 32 in flight
	// too, for duet and raw alike, in loaded runs.
	if w.iter, err = e.cons.Messages(jetstream.PullMaxMessages(cfg.slots), jetstream.PullExpiry(time.Second)); err != nil {
		w.sub.Unsubscribe()
		return nil, fmt.Errorf("remote: Serve: cannot consume tasks: %w", err)
	}
	if !e.register(w) {
		w.iter.Stop()
		w.sub.Unsubscribe()
		return nil, errEngineClosed
	}
	w.goroutines.Add(cfg.slots + 2)
	tasks := make(chan jetstream.Msg)
	go w.fetch(tasks)
	for range cfg.slots {
		go w.slot(tasks)
	}
	go w.heartbeat()
	return w, nil
}

// fetch hands the consumer's tasks to the slots, one goroutine calling
// Next (it is not made for concurrent callers: one waiting in Next holds a
// lock the delivery of messages needs too, stalling the flow until the
// pull request expires). The hand-off is unbuffered, so a task is fetched
// from the iterator only when a slot is free for it. An iterator, not a
// callback consumer (jetstream's Consume): a callback that blocks while
// every slot is busy delays the pull's heartbeats, and remotebench saw
// the flow stall then until the pull request expired. Nor do the slots
// call Next themselves, one at a time (tried: it saves the hand-off, a
// goroutine switch a task): the iterator asks the server for more only
// inside Next, so the next pull then waited for a slot to finish, and at
// one slot remotebench -inflight 1 -n 3000 saw 2 s stalls (the pull
// expiry) in 5 or more of 15 repetitions, where this fetcher, back in Next
// at once, saw none in 18.
func (w *Worker) fetch(tasks chan<- jetstream.Msg) {
	defer w.goroutines.Done()
	defer close(tasks)
	for {
		msg, err := w.iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			continue // a connection blip or a missed heartbeat: the iterator recovers
		}
		select {
		case tasks <- msg:
		case <-w.quit:
			msg.Nak() // fetched after Shutdown: to another worker, now
		}
	}
}

// slot runs tasks one after another: a goroutine per slot, not per task.
func (w *Worker) slot(tasks <-chan jetstream.Msg) {
	defer w.goroutines.Done()
	for msg := range tasks {
		select {
		case <-w.quit:
			msg.Nak()
		default:
			w.handle(msg)
		}
	}
}

// handle runs one task and answers it.
func (w *Worker) handle(msg jetstream.Msg) {
	h := msg.Headers()
	var meta taskMeta
	var bad error
	if v := h[hdrMeta]; len(v) == 1 {
		meta, bad = parseTaskMeta(v[0])
	} else {
		bad = fmt.Errorf("remote: a message without a %q header on the task subject (published by something other than remote.Submit?)", hdrMeta)
	}
	if bad != nil && meta.inbox == "" {
		msg.Term() // nobody to tell: the message was not a task
		return
	}
	id, name, inbox := meta.id, meta.name, meta.inbox
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	retries := meta.retries
	var deadline time.Time
	if meta.deadline != 0 {
		deadline = time.Unix(0, meta.deadline)
	}
	switch {
	case bad != nil:
		w.answer(msg, inbox, id, nil, bad)
		return
	case w.wasCancelled(id):
		msg.Ack() // its caller completed the future already
		return
	case !deadline.IsZero() && !time.Now().Before(deadline):
		msg.Ack() // timed out while queued: the caller's timer ended it
		return
	case attempt > retries+1:
		w.answer(msg, inbox, id, nil, &PoisonError{Task: name, Attempts: attempt - 1,
			Last: fmt.Errorf("remote: the worker running attempt %d stopped acknowledging it (killed, hung or disconnected): %w", attempt-1, ErrWorkerLost)})
		return
	}
	codec, rawArgs, rawResult := parseCodecField(meta.codec)
	if codec != w.cfg.codec.Name() {
		w.answer(msg, inbox, id, nil, &codecError{what: fmt.Sprintf("run %s", name),
			err: fmt.Errorf("the caller encoded it with codec %q and this worker uses %q (set the same with WithCodec and WithWorkerCodec)", codec, w.cfg.codec.Name())})
		return
	}
	fn, err := w.reg.lookup(name)
	if err != nil {
		w.answer(msg, inbox, id, nil, err)
		return
	}
	// A context of its own, not a child of one the worker cancels at
	// Shutdown: a child registers with its parent under the parent's lock,
	// a cost every task paid; Shutdown cancels w.running instead.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	if !deadline.IsZero() {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, deadline)
		defer stop()
	}
	r := &run{msg: msg, cancel: cancel, inbox: inbox, started: time.Now(),
		info: Info{ID: id, Task: name, Attempt: attempt}}
	if k := h[hdrKey]; len(k) == 1 {
		r.info.Key = k[0]
	}
	w.mu.Lock()
	if w.cancelledLocked(id) {
		// Cancelled since the check above: onCancel found it not running.
		w.mu.Unlock()
		msg.Ack()
		return
	}
	w.running[id] = r
	aborted := w.aborted
	w.mu.Unlock()
	if aborted {
		cancel(errShutdown)
	}
	r.ctx = taskCtx{ctx, &r.info}
	out, raw, err := runHandler(&r.ctx, fn, w.cfg.codec, msg.Data(), rawArgs, rawResult)
	w.mu.Lock()
	delete(w.running, id)
	w.mu.Unlock()

	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case cause == errShutdown:
			msg.Nak() // to another worker, now
			return
		case cause == errCancelledByCaller || cause == errCallerGone || cause == context.DeadlineExceeded:
			msg.Ack() // never retried; the caller has its outcome already
			return
		}
	}
	if err == nil {
		w.answerRaw(msg, inbox, id, out, raw, nil)
		return
	}
	if meta.backoff > 0 {
		if attempt <= retries {
			msg.NakWithDelay(retryDelay(meta.backoff, attempt))
			return
		}
		err = &PoisonError{Task: name, Attempts: attempt, Last: err}
	}
	w.answer(msg, inbox, id, nil, err)
}

// retryDelay is the wait before the retry after the given attempt:
// backoff, doubled for each attempt before, at most a minute.
func retryDelay(backoff time.Duration, attempt int) time.Duration {
	d := backoff
	for i := 1; i < attempt && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// runHandler runs fn, turning a panic into a *duet.PanicError.
func runHandler(ctx context.Context, fn handler, c Codec, args []byte, rawArgs, rawResult bool) (out []byte, raw bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, raw, err = nil, false, duet.NewPanicError(r)
		}
	}()
	return fn(ctx, c, args, rawArgs, rawResult)
}

// answer sends the task's outcome to its caller, then acks it: a result
// lost between the two is a task run again, never a task lost. While the
// connection is down it sends neither: a publish buffered for the
// reconnect could reach the caller before its own subscription is back,
// and the ack would then remove a task whose result nobody got; unacked,
// the task runs again once the connection is back.
func (w *Worker) answer(msg jetstream.Msg, inbox, id string, out []byte, err error) {
	w.answerRaw(msg, inbox, id, out, false, err)
}

// answerRaw is answer, with raw telling that out is a []byte result as it
// is (see codecField).
func (w *Worker) answerRaw(msg jetstream.Msg, inbox, id string, out []byte, raw bool, err error) {
	if !w.e.nc.IsConnected() {
		return
	}
	kind := subjOK
	switch {
	case err != nil:
		kind = subjErr
		out, _ = json.Marshal(encodeErr(err))
	case raw:
		kind = subjRaw
	}
	w.e.nc.Publish(inbox+kind+id, out)
	msg.Ack()
}

// onCancel cancels a running task, or remembers the cancel for a task that
// has not started here.
func (w *Worker) onCancel(m *nats.Msg) {
	id := string(m.Data)
	w.mu.Lock()
	r := w.running[id]
	if r == nil {
		if time.Since(w.rotated) > 10*time.Minute {
			w.cancelled[1], w.cancelled[0] = w.cancelled[0], map[string]struct{}{}
			w.rotated = time.Now()
		}
		w.cancelled[0][id] = struct{}{}
	}
	w.mu.Unlock()
	if r != nil {
		r.cancel(errCancelledByCaller)
	}
}

func (w *Worker) wasCancelled(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cancelledLocked(id)
}

func (w *Worker) cancelledLocked(id string) bool {
	_, a := w.cancelled[0][id]
	_, b := w.cancelled[1][id]
	return a || b
}

// heartbeat keeps running tasks from being redelivered, and cancels those
// whose caller is gone.
func (w *Worker) heartbeat() {
	defer w.goroutines.Done()
	t := time.NewTicker(w.beat)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		w.mu.Lock()
		runs := make([]*run, 0, len(w.running))
		for _, r := range w.running {
			runs = append(runs, r)
		}
		w.mu.Unlock()
		for _, r := range runs {
			r.msg.InProgress()
		}
		// Then the callers, each once: a slow answer must not delay the
		// heartbeats above past the ack wait.
		alive := map[string]bool{}
		for _, r := range runs {
			if time.Since(r.started) < w.beat {
				continue
			}
			ok, seen := alive[r.inbox]
			if !seen {
				_, err := w.e.nc.Request(r.inbox+subjPing, nil, w.beat)
				ok = !errors.Is(err, nats.ErrNoResponders)
				alive[r.inbox] = ok
			}
			if !ok {
				r.cancel(errCallerGone)
			}
		}
	}
}

// Shutdown stops the worker fetching tasks. Running tasks finish and are
// answered, unless cancelRunning is true: then their contexts are
// cancelled and they are handed back at once for another worker to run
// (the cut-short run counts as one of the task's attempts). Tasks fetched
// but not started (at most one per slot) are not acked, so they run
// elsewhere after the ack wait: the consumer stops at once rather than
// draining, which waits for its pull request to expire. With wait,
// Shutdown blocks until the running tasks have returned and the worker
// holds no goroutine. It may be called any number of times. Python:
// concurrent.futures' Executor.shutdown.
func (w *Worker) Shutdown(wait, cancelRunning bool) {
	w.mu.Lock()
	first := !w.closed
	w.closed = true
	w.mu.Unlock()
	if first {
		close(w.quit)
		w.iter.Stop()
		w.sub.Unsubscribe()
		w.e.unregister(w)
	}
	if cancelRunning {
		w.mu.Lock()
		w.aborted = true
		runs := make([]*run, 0, len(w.running))
		for _, r := range w.running {
			runs = append(runs, r)
		}
		w.mu.Unlock()
		for _, r := range runs {
			r.cancel(errShutdown)
		}
	}
	if wait {
		w.goroutines.Wait()
	}
}

func (w *Worker) engineClosed() { w.Shutdown(true, true) }

// Running returns the number of tasks the worker is running.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// Info describes the task a handler runs; InfoFrom returns it.
type Info struct {
	ID      string // the task's id, the same on every attempt
	Task    string // its name
	Attempt int    // 1 for the first delivery, then 2, ...
	Key     string // its idempotency key (WithIdempotencyKey), or ""
}

type infoKey struct{}

// InfoFrom returns the Info of the task whose handler was given ctx, or nil
// outside a handler.
func InfoFrom(ctx context.Context) *Info {
	i, _ := ctx.Value(infoKey{}).(*Info)
	return i
}
