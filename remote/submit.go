package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/futhook"
	"github.com/duet-go/duet/internal/park"
)

// DefaultRetries is how many times a task is run again after its worker
// was lost (Ray's max_retries default), unless WithRetries says otherwise.
const DefaultRetries = 3

// SubmitOption configures one Submit (or every task of a Map).
type SubmitOption func(*submitConfig)

type submitConfig struct {
	timeout time.Duration
	retries int
	backoff time.Duration // > 0: errors are retried too
	key     string
	err     error
}

// WithTimeout bounds the task's run, from Submit, to d: then its future
// fails with a *duet.TimeoutError (ErrTimeout) and the worker's context is
// cancelled; it is never retried. A deadline of Submit's ctx bounds it
// likewise (the earlier wins). The worker applies the deadline from its own
// clock, so clocks are assumed roughly in sync; the caller's timer decides
// the future's outcome in any case. d <= 0 is an error. Python: Ray's
// ray.get(timeout=), Dask's future.result(timeout=) (which leaves the task
// running; here it stops).
func WithTimeout(d time.Duration) SubmitOption {
	return func(c *submitConfig) {
		if d <= 0 {
			c.err = fmt.Errorf("remote: WithTimeout(%v): a timeout must be positive (leave the option out for none)", d)
		}
		c.timeout = d
	}
}

// WithRetries sets how many times the task may run again after a failed
// attempt (DefaultRetries; 0 runs it once). A lost worker always counts as
// a failed attempt; a returned error or panic does only WithRetryOnError.
// Once the attempts are used up the future fails with a *PoisonError
// carrying the last failure. A cancelled or timed-out task is never
// retried. Python: Ray's max_retries, Dask's retries=.
func WithRetries(n int) SubmitOption {
	return func(c *submitConfig) {
		if n < 0 {
			c.err = fmt.Errorf("remote: WithRetries(%d): the number of retries cannot be negative", n)
		}
		c.retries = n
	}
}

// WithRetryOnError retries the task when its handler returns an error or
// panics, not only when its worker is lost, waiting backoff before the
// first retry and doubling it before each next one (up to a minute).
// Without it a handler's error is final: handlers returning errors are
// usually deterministic. Python: Ray's retry_exceptions=True.
func WithRetryOnError(backoff time.Duration) SubmitOption {
	return func(c *submitConfig) {
		if backoff <= 0 {
			c.err = fmt.Errorf("remote: WithRetryOnError(%v): the backoff must be positive", backoff)
		}
		c.backoff = backoff
	}
}

// WithIdempotencyKey gives the task a key for its side effects. A second
// Submit of the same key while the stream remembers it (two minutes) is
// queued once: JetStream drops the duplicate message, and the second
// future fails with an error matching duet.ErrInvalidState naming the
// key, so nobody waits for a result that will not come to them. The
// handler sees the key in Info, to make its side effects idempotent across
// redeliveries (a redelivered task carries the same key).
func WithIdempotencyKey(key string) SubmitOption {
	return func(c *submitConfig) {
		if key == "" {
			c.err = errors.New("remote: WithIdempotencyKey(\"\"): give a key, or leave the option out")
		}
		c.key = key
	}
}

// Submit queues task t with args for a worker of c and returns the future
// of its result. Python: Dask's client.submit(fn, *args), Ray's
// fn.remote(*args), concurrent.futures' Executor.submit.
//
// Delivery is at least once: JetStream keeps the task until a worker acks
// it, a worker that dies or stalls (no heartbeat for the engine's ack
// wait) has its task run again elsewhere (WithRetries), and the first
// result completes the future; later duplicates are dropped.
//
// Cancelling ctx or the future (Future.Cancel, or a loop task awaiting it
// being cancelled) completes the future as cancelled at once and tells the
// workers: a running task's context is cancelled, and a task not yet
// started never starts once the news has reached the workers and the
// stream (it is removed from the stream when the stream has acknowledged
// it). Telling does not wait: a task that a worker took in the moment
// before may still run, and its result is dropped. ctx's deadline is the task's deadline too (see
// WithTimeout). As with thread.Submit, a loop task's ctx ends when the
// task returns, and with it the remote task; pass a longer-lived ctx for
// work meant to outlive the task.
//
// Submit does not wait for the task. It waits only when WithMaxInFlight
// tasks of c are outstanding and c was not made WithRejectWhenFull: a loop
// task's Submit suspends the task, a goroutine's blocks, until a future
// completes or ctx ends.
//
// The future's error is the remote one as Error describes (message and
// kind: errors.Is for duet's sentinels and registered values, errors.As for
// registered types); a panic arrives as a *duet.PanicError with the
// worker's stack. Errors of the call itself come in the future too, never
// as a panic: a nil ctx or c, a zero t, arguments that fail to encode
// (ErrCodec), a shut-down client or closed engine (duet.ErrClosed), a full
// client or stream (ErrFull), an unknown task name on the worker
// (ErrUnknownTask).
func Submit[A, R any](ctx context.Context, c *Client, t Task[A, R], args A, opts ...SubmitOption) *duet.Future[R] {
	k := &call[R]{c: c, task: t.name}
	_, rawArgs := any((*A)(nil)).(*[]byte) // A's static type: a Task[any, R] given a []byte still encodes it
	_, k.rawResult = any((*R)(nil)).(*[]byte)
	if err := k.submit(ctx, args, rawArgs, opts); err != nil {
		var zero R
		completeFut(&k.fut, zero, err)
	}
	return &k.fut
}

// call is a submitted task: its future and what completing it undoes.
type call[R any] struct {
	fut  duet.Future[R]
	c    *Client
	id   string
	task string
	seq  atomic.Uint64
	// rawResult: R is []byte, taken as the worker sends it (see codecField).
	rawResult bool
	done      atomic.Bool // the outcome is claimed

	mu      sync.Mutex
	stopCtx func() bool
	timer   *time.Timer
}

func (k *call[R]) submit(ctx context.Context, args any, rawArgs bool, opts []SubmitOption) error {
	c := k.c
	switch {
	case ctx == nil:
		return fmt.Errorf("remote.Submit: %w", duet.ErrNilContext)
	case c == nil:
		return errors.New("remote: Submit to a nil *Client (make one with NewClient)")
	case k.task == "":
		return errors.New("remote: Submit of a zero Task (make tasks with Define)")
	}
	cfg := submitConfig{retries: DefaultRetries}
	for _, o := range opts {
		if o == nil {
			return errors.New("remote: Submit: nil SubmitOption")
		}
		o(&cfg)
	}
	if cfg.err != nil {
		return cfg.err
	}
	var data []byte
	if rawArgs {
		data = args.([]byte) // the bytes travel as they are: written to the connection before Submit returns
	} else {
		var err error
		if data, err = c.cfg.codec.Marshal(args); err != nil {
			return &codecError{what: fmt.Sprintf("encode the arguments of %s (%T)", k.task, args), err: err}
		}
	}
	if c.cfg.reject {
		if !c.slots.TryAcquire() {
			return fmt.Errorf("remote: Submit(%s): %d tasks in flight already (WithMaxInFlight): %w", k.task, c.cfg.inFlight, ErrFull)
		}
	} else if err := c.slots.Acquire(ctx); err != nil {
		return err
	}
	futhook.Bind(&k.fut, k)
	if err := c.add(&k.id, k); err != nil {
		c.slots.Release()
		return err
	}
	// From here on the call is pending: whatever ends it (a result, a
	// cancel, the engine closing) goes through finish, which removes it.
	meta := taskMeta{id: k.id, name: k.task, inbox: c.prefix, codec: codecField(c.cfg.codec.Name(), rawArgs, k.rawResult), retries: cfg.retries, backoff: cfg.backoff}
	deadline, hasDeadline := ctx.Deadline()
	if cfg.timeout > 0 {
		if d := time.Now().Add(cfg.timeout); !hasDeadline || d.Before(deadline) {
			deadline, hasDeadline = d, true
		}
	}
	if hasDeadline {
		meta.deadline = deadline.UnixNano()
	}
	m := &nats.Msg{Subject: taskSubject, Data: data, Header: nats.Header{hdrMeta: {meta.encode()}}}
	if cfg.key != "" {
		// Only a key's tasks carry a message id: the stream remembers every
		// id for its duplicate window, which at tens of thousands of tasks
		// a second would cost millions of entries for nothing.
		m.Header[hdrKey] = []string{cfg.key}
		m.Header[nats.MsgIdHdr] = []string{"key:" + cfg.key}
	}
	k.mu.Lock()
	if cfg.timeout > 0 {
		k.timer = time.AfterFunc(cfg.timeout, func() { k.abort(&duet.TimeoutError{}) })
	}
	if ctx.Done() != nil {
		k.stopCtx = context.AfterFunc(ctx, func() { k.abort(park.CtxErr(ctx)) })
	}
	k.mu.Unlock()
	// The stream's ack comes to the engine's handlers (Engine.onPubAck),
	// not to a goroutine waiting per task.
	if _, err := c.e.js.PublishMsgAsync(m); err != nil {
		k.end(fmt.Errorf("remote: Submit(%s): cannot publish the task: %w", k.task, err))
	}
	return nil
}

// Cancel is the future's Cancel: it cancels the task unless it is complete.
func (k *call[R]) Cancel(msg string) bool {
	return k.abort(&duet.CancelledError{Msg: msg})
}

// abort ends the call with err (a cancellation or timeout) and tells the
// workers, reporting whether it was still pending.
func (k *call[R]) abort(err error) bool {
	if !k.end(err) {
		return false
	}
	k.cancelRemote(err)
	return true
}

func (k *call[R]) cancelRemote(error) { k.c.sendCancel(k.id, k.seq.Load()) }

// OnFailure: a failed remote future is its awaiter's to report.
func (k *call[R]) OnFailure(*futhook.Failure) {}

func (k *call[R]) setSeq(seq uint64) { k.seq.Store(seq) }

func (k *call[R]) end(err error) bool {
	var zero R
	return k.finish(zero, err)
}

// finish completes the call once: it leaves the client, gives its slot
// back, stops its timers and completes the future.
func (k *call[R]) finish(v R, err error) bool {
	if !k.done.CompareAndSwap(false, true) {
		return false
	}
	k.mu.Lock()
	stop, timer := k.stopCtx, k.timer
	k.mu.Unlock()
	if stop != nil {
		stop()
	}
	if timer != nil {
		timer.Stop()
	}
	k.c.remove(k.id)
	k.c.slots.Release()
	completeFut(&k.fut, v, err)
	return true
}

// deliver completes the call with its result (kind resultOK or
// resultRaw) or error (resultErr).
func (k *call[R]) deliver(kind resultKind, data []byte) {
	var v R
	if kind == resultRaw {
		p, ok := any(&v).(*[]byte)
		if !ok { // only a worker asked for raw bytes sends them (see codecField)
			k.end(&codecError{what: fmt.Sprintf("decode the result of %s as %T", k.task, v), err: errors.New("the worker sent raw bytes, unasked")})
			return
		}
		*p = data
		k.finish(v, nil)
		return
	}
	if kind == resultOK {
		if err := k.c.cfg.codec.Unmarshal(data, &v); err != nil {
			k.end(&codecError{what: fmt.Sprintf("decode the result of %s as %T", k.task, v), err: err})
			return
		}
		k.finish(v, nil)
		return
	}
	var w wireErr
	if err := json.Unmarshal(data, &w); err != nil {
		k.end(fmt.Errorf("remote: the error of %s came garbled (%v): %q", k.task, err, data))
		return
	}
	k.end(decodeErr(&w, k.task))
}

// completeFut completes f, shielding the completing goroutine (a NATS
// callback, a timer) from a panicking done callback, as thread's pool does.
func completeFut[T any](f *duet.Future[T], v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("remote: a done callback of a future panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f.Complete(v, err)
}
