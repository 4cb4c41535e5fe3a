package remote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/duet-go/duet"
)

// DefaultMaxInFlight is a client's default bound on its submitted tasks
// whose futures have not completed, as thread.Pool's default queue bound.
const DefaultMaxInFlight = 1024

// Client submits tasks to the workers of an engine and completes their
// futures with the results. Python: a dask.distributed Client, a
// concurrent.futures.Executor whose workers are elsewhere.
//
//   - Submit returns a *duet.Future, the one future of duet: loop tasks and
//     goroutines await it, and duet.Gather, Wait, AsCompleted and Group take
//     it mixed with local futures.
//   - At most WithMaxInFlight tasks are outstanding; a Submit beyond waits
//     for one to complete (back-pressure) or, WithRejectWhenFull, fails with
//     ErrFull, as thread.Pool's bounded queue does.
//   - Results travel to the client's own inbox and are never stored: a
//     result nobody waits for (its future was cancelled or timed out, or
//     the client is gone) is dropped on arrival.
//   - Shutdown stops it with thread.Pool's contract.
//
// A Client is safe for concurrent use. Make one with NewClient.
type Client struct {
	e      *Engine
	cfg    clientConfig
	prefix string // the inbox: results on prefix.ok.ID and prefix.err.ID (see wire.go)
	sub    *nats.Subscription
	slots  *duet.Semaphore

	mu      sync.Mutex
	pending map[string]pendingCall
	ids     *nuid.NUID // the tasks' ids
	closed  bool
	cause   error                 // why later Submits fail
	stopped duet.Future[struct{}] // completes when closed and nothing is pending
}

// pendingCall is a submitted task, untyped, as the client tracks it.
type pendingCall interface {
	deliver(kind resultKind, data []byte) // its result or error arrived
	end(err error) bool                   // complete it with err unless it is complete
	setSeq(seq uint64)                    // its stream sequence, once the stream has it
	cancelRemote(why error)               // tell the workers it is cancelled
}

// ClientOption configures NewClient.
type ClientOption func(*clientConfig)

type clientConfig struct {
	codec    Codec
	inFlight int
	reject   bool
	err      error
}

// WithCodec sets the codec of arguments and results (JSON by default); the
// workers must use the same (see Codec).
func WithCodec(c Codec) ClientOption {
	return func(cfg *clientConfig) {
		if c == nil {
			cfg.err = errors.New("remote: WithCodec(nil): pass a Codec, or leave the option out for JSON")
		}
		cfg.codec = c
	}
}

// WithMaxInFlight bounds the client's outstanding tasks (submitted, future
// not yet complete) to n (n >= 1; DefaultMaxInFlight).
func WithMaxInFlight(n int) ClientOption {
	return func(cfg *clientConfig) {
		if n < 1 {
			cfg.err = fmt.Errorf("remote: WithMaxInFlight(%d): at least one task must be allowed in flight", n)
		}
		cfg.inFlight = n
	}
}

// WithRejectWhenFull makes a Submit that finds WithMaxInFlight tasks
// outstanding fail at once with ErrFull instead of waiting for room.
func WithRejectWhenFull() ClientOption {
	return func(cfg *clientConfig) { cfg.reject = true }
}

// NewClient returns a client submitting to e's workers. It subscribes to
// an inbox of its own for the results. Errors: a bad option, a nil or
// closed engine.
func NewClient(e *Engine, opts ...ClientOption) (*Client, error) {
	if e == nil {
		return nil, errors.New("remote: NewClient with a nil *Engine (make one with NewEngine)")
	}
	cfg := clientConfig{codec: JSON, inFlight: DefaultMaxInFlight}
	for _, o := range opts {
		if o == nil {
			cfg.err = errors.New("remote: NewClient: nil ClientOption")
			continue
		}
		o(&cfg)
	}
	if cfg.err == nil && (strings.ContainsAny(cfg.codec.Name(), " ,\t\r\n") || cfg.codec.Name() == "") {
		cfg.err = fmt.Errorf("remote: WithCodec: the codec's name %q must be one word without commas (it travels in a header)", cfg.codec.Name())
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if e.isClosed() {
		return nil, errEngineClosed
	}
	slots, err := duet.NewSemaphore(cfg.inFlight)
	if err != nil {
		return nil, err
	}
	c := &Client{
		e: e, cfg: cfg, prefix: nats.NewInbox(), slots: slots,
		pending: map[string]pendingCall{}, ids: nuid.New(),
	}
	if c.sub, err = e.nc.Subscribe(c.prefix+".>", c.onMsg); err != nil {
		return nil, fmt.Errorf("remote: NewClient: cannot subscribe to the results inbox: %w", err)
	}
	if err := c.sub.SetPendingLimits(-1, -1); err != nil { // in-flight bounds it
		c.sub.Unsubscribe()
		return nil, err
	}
	if !e.register(c) {
		c.sub.Unsubscribe()
		return nil, errEngineClosed
	}
	return c, nil
}

// onMsg receives results and the workers' "is the caller alive" pings.
func (c *Client) onMsg(m *nats.Msg) {
	rest := m.Subject[len(c.prefix):]
	var kind resultKind
	switch {
	case strings.HasPrefix(rest, subjOK):
		kind, rest = resultOK, rest[len(subjOK):]
	case strings.HasPrefix(rest, subjRaw):
		kind, rest = resultRaw, rest[len(subjRaw):]
	case strings.HasPrefix(rest, subjErr):
		kind, rest = resultErr, rest[len(subjErr):]
	case rest == subjPing:
		m.Respond(nil)
		return
	default:
		return // the replies to stream deletes (see sendCancel)
	}
	c.mu.Lock()
	call := c.pending[rest]
	c.mu.Unlock()
	if call != nil {
		call.deliver(kind, m.Data)
	} // else a duplicate, or a result nobody waits for: dropped
}

// pubAcked hears the stream's ack of task id's message (see Engine.onPubAck).
func (c *Client) pubAcked(id string, pa *jetstream.PubAck, key []string) {
	c.mu.Lock()
	call := c.pending[id]
	c.mu.Unlock()
	if call == nil {
		return
	}
	if pa.Duplicate { // only an idempotency key repeats a message id
		call.end(fmt.Errorf("remote: a task with idempotency key %q was queued already; this Submit queued nothing and gets no result: %w", key, duet.ErrInvalidState))
		return
	}
	call.setSeq(pa.Sequence)
}

// pubFailed hears that task id's message was not stored.
func (c *Client) pubFailed(id string, err error) {
	c.mu.Lock()
	call := c.pending[id]
	c.mu.Unlock()
	if call == nil {
		return
	}
	if strings.Contains(err.Error(), "maximum messages") {
		err = fmt.Errorf("remote: the task stream is full (WithMaxQueued): %w: %w", ErrFull, err)
	} else {
		err = fmt.Errorf("remote: the task could not be queued: %w", err)
	}
	call.end(err)
}

var errClientClosed = fmt.Errorf("remote: Submit on a client that was shut down: %w", duet.ErrClosed)

// add registers call as pending under a new task id, stored in *id before
// the call is seen, or returns why it cannot be. The ids come from the
// client's own generator, under the lock add takes anyway: nuid.Next takes
// a process-wide lock of its own.
func (c *Client) add(id *string, call pendingCall) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.cause
	}
	*id = c.ids.Next()
	c.pending[*id] = call
	return nil
}

// remove forgets id; the last one leaving a closed client stops it.
func (c *Client) remove(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	last := c.closed && len(c.pending) == 0
	c.mu.Unlock()
	if last {
		c.stop()
	}
}

// stop releases the client's inbox and goroutine, once.
func (c *Client) stop() {
	if c.stopped.SetResult(struct{}{}) != nil {
		return
	}
	c.sub.Unsubscribe()
	c.e.unregister(c)
}

// Shutdown stops the client: later Submits fail with an error matching
// duet.ErrClosed. Outstanding tasks still complete, unless cancelFutures is
// true: then their futures are cancelled and their workers told (a task not
// yet started never starts, as Submit says). With wait, Shutdown blocks until every future
// of the client has completed; the client then holds no goroutine or
// subscription. It may be called any number of times. Python:
// Executor.shutdown(wait=True, cancel_futures=False).
func (c *Client) Shutdown(wait, cancelFutures bool) {
	c.shutdown(errClientClosed, cancelFutures, nil)
	if wait {
		<-c.stopped.Done()
	}
}

// shutdown closes c; with cancel, pending calls end with cancelled, or with
// endErr when given.
func (c *Client) shutdown(cause error, cancel bool, endErr error) {
	c.mu.Lock()
	if !c.closed {
		c.closed, c.cause = true, cause
	}
	var calls []pendingCall
	if cancel {
		calls = make([]pendingCall, 0, len(c.pending))
		for _, p := range c.pending {
			calls = append(calls, p)
		}
	}
	last := len(c.pending) == 0
	c.mu.Unlock()
	for _, p := range calls {
		err := endErr
		if err == nil {
			err = &duet.CancelledError{Msg: "remote: the client was shut down"}
		}
		if p.end(err) {
			p.cancelRemote(err)
		}
	}
	if last {
		c.stop()
	}
}

// engineClosed fails what is pending: no result can arrive any more.
func (c *Client) engineClosed() {
	c.shutdown(errEngineClosed, true, errEngineClosed)
	<-c.stopped.Done()
}

// Pending returns the number of the client's outstanding tasks.
func (c *Client) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// sendCancel tells the workers that task id is cancelled and removes it
// from the stream if the stream has acked it (seq > 0), so that a worker
// that has not fetched it never sees it. Both are fire-and-forget: the
// caller's future is complete already, and a worker that misses the news
// runs the task and its result is dropped.
func (c *Client) sendCancel(id string, seq uint64) {
	c.e.nc.Publish(cancelSubj, []byte(id))
	if seq > 0 {
		req := `{"seq":` + strconv.FormatUint(seq, 10) + `,"no_erase":true}`
		c.e.nc.PublishRequest("$JS.API.STREAM.MSG.DELETE."+streamName, c.prefix+subjDel, []byte(req))
	}
}
