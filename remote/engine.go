package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/duet-go/duet"
)

// The names an engine gives JetStream and core NATS. Every process of a
// cluster must agree on them, so they are constants, not options.
const (
	streamName   = "DUET_TASKS"
	taskSubject  = "duet.tasks"
	cancelSubj   = "duet.cancel"
	consumerName = "duet-workers"
)

// Defaults of the engine options.
const (
	// DefaultAckWait is how long JetStream waits for a worker's ack or
	// heartbeat before it hands the task to another worker. Workers send a
	// heartbeat every third of it, so it bounds how soon a dead worker's task
	// runs again, not how long a task may take.
	DefaultAckWait = 5 * time.Second
	// DefaultMaxQueued bounds the tasks the stream holds, queued or running,
	// across every caller: a publish past it fails with ErrFull.
	DefaultMaxQueued = 1 << 20
)

// Engine is a connection to the NATS JetStream server that carries the
// tasks: an embedded server, in this process, by default, or a cluster
// reached by URL (WithURLs). Callers (NewClient) and workers (Serve) of the
// same process share one Engine; processes that share the same server share
// the tasks.
//
// An Engine is safe for concurrent use. Close it when done: it shuts down
// the clients and workers made on it, its connection and, if embedded, its
// server. Python has no counterpart: Dask's LocalCluster and Ray's ray.init()
// start a scheduler in the process in the same spirit.
type Engine struct {
	cfg    engineConfig
	srv    *server.Server // nil when connected by URL
	tmpDir string         // a store directory the engine made and removes
	nc     *nats.Conn
	js     jetstream.JetStream
	cons   jetstream.Consumer

	mu      sync.Mutex
	closed  bool
	closers map[closer]struct{} // clients and workers to stop at Close
	inboxes map[string]*Client  // the clients, by inbox, for the stream's acks
}

// closer is a client or worker an engine stops when it closes.
type closer interface{ engineClosed() }

// EngineOption configures NewEngine.
type EngineOption func(*engineConfig)

type engineConfig struct {
	urls      []string
	listen    string
	storeDir  string
	memory    bool
	ackWait   time.Duration
	maxQueued int64
	name      string
	err       error
}

func (c *engineConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// WithURLs connects to a running NATS server or cluster (JetStream enabled)
// instead of embedding one: "nats://host:4222", several for a cluster. The
// storage options then do not apply: the stream lives where the cluster
// keeps it (the first engine to connect makes it, file-backed).
func WithURLs(urls ...string) EngineOption {
	return func(c *engineConfig) {
		if len(urls) == 0 {
			c.fail(errors.New("remote: WithURLs(): give at least one URL, such as nats://127.0.0.1:4222"))
		}
		c.urls = urls
	}
}

// WithListen makes the embedded server accept connections on addr
// ("127.0.0.1:0" picks a free port; see Engine.URL), so that worker
// processes can join with WithURLs. Without it the embedded server listens
// on nothing and only this process reaches it, through an in-process
// connection (no socket, no port).
func WithListen(addr string) EngineOption {
	return func(c *engineConfig) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			c.fail(fmt.Errorf("remote: WithListen(%q): want host:port, such as 127.0.0.1:0: %w", addr, err))
		}
		c.listen = addr
	}
}

// WithStoreDir keeps the embedded server's file storage in dir, so that
// queued tasks survive a restart of the engine on the same dir. Without it
// the engine stores in a temporary directory of its own, removed at Close.
func WithStoreDir(dir string) EngineOption {
	return func(c *engineConfig) {
		if dir == "" {
			c.fail(errors.New("remote: WithStoreDir(\"\"): give a directory, or leave the option out for a temporary one"))
		}
		c.storeDir = dir
	}
}

// WithMemoryStorage keeps queued tasks in memory instead of files: faster,
// and lost when the server stops.
func WithMemoryStorage() EngineOption {
	return func(c *engineConfig) { c.memory = true }
}

// WithAckWait sets how long a task may go without an ack or heartbeat
// before JetStream redelivers it (DefaultAckWait). It is the stream's
// setting: the last engine to connect sets it for all.
func WithAckWait(d time.Duration) EngineOption {
	return func(c *engineConfig) {
		if d < 100*time.Millisecond {
			c.fail(fmt.Errorf("remote: WithAckWait(%v): at least 100ms, or heartbeats cannot keep up", d))
		}
		c.ackWait = d
	}
}

// WithMaxQueued bounds the tasks the stream holds at once, over every
// caller (DefaultMaxQueued). A Submit beyond it fails with ErrFull.
func WithMaxQueued(n int) EngineOption {
	return func(c *engineConfig) {
		if n < 1 {
			c.fail(fmt.Errorf("remote: WithMaxQueued(%d): at least 1", n))
		}
		c.maxQueued = int64(n)
	}
}

// WithName names the engine's connection (seen in the server's monitoring;
// default "duet-<pid>").
func WithName(name string) EngineOption {
	return func(c *engineConfig) { c.name = name }
}

// NewEngine starts an embedded JetStream server (or, WithURLs, connects to
// one), connects to it and makes sure the task stream and the workers'
// consumer exist. It blocks until the server is ready, up to 10 s. Errors:
// a bad option, an unreachable URL, a server without JetStream, a store
// directory that cannot be used.
func NewEngine(opts ...EngineOption) (*Engine, error) {
	cfg := engineConfig{ackWait: DefaultAckWait, maxQueued: DefaultMaxQueued, name: "duet-" + strconv.Itoa(os.Getpid())}
	for _, o := range opts {
		if o == nil {
			cfg.fail(errors.New("remote: NewEngine: nil EngineOption"))
			continue
		}
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.urls != nil && (cfg.listen != "" || cfg.storeDir != "" || cfg.memory) {
		return nil, errors.New("remote: NewEngine: WithURLs connects to a server elsewhere; WithListen, WithStoreDir and WithMemoryStorage configure an embedded one: use one or the other")
	}
	e := &Engine{cfg: cfg, closers: map[closer]struct{}{}, inboxes: map[string]*Client{}}
	if err := e.start(); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *Engine) start() error {
	copts := []nats.Option{nats.Name(e.cfg.name), nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond),
		nats.ClosedHandler(func(*nats.Conn) { e.connClosed() })}
	url := ""
	if e.cfg.urls == nil {
		if err := e.startServer(); err != nil {
			return err
		}
		if e.cfg.listen == "" {
			copts = append(copts, nats.InProcessServer(e.srv))
		} else {
			url = e.srv.ClientURL()
		}
	} else {
		for i, u := range e.cfg.urls {
			if i > 0 {
				url += ","
			}
			url += u
		}
		copts = append(copts, nats.Timeout(5*time.Second))
	}
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		return fmt.Errorf("remote: NewEngine: cannot connect to %s (is a NATS server with JetStream running there?): %w", e.where(), err)
	}
	e.nc = nc
	if e.js, err = jetstream.New(nc, jetstream.WithPublishAsyncAckHandler(e.onPubAck),
		jetstream.WithPublishAsyncErrHandler(e.onPubErr), jetstream.WithPublishAsyncTimeout(10*time.Second)); err != nil {
		return fmt.Errorf("remote: NewEngine: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	storage := jetstream.FileStorage
	if e.cfg.memory {
		storage = jetstream.MemoryStorage
	}
	stream, err := e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       streamName,
		Subjects:   []string{taskSubject},
		Retention:  jetstream.WorkQueuePolicy, // an acked task leaves the stream
		Storage:    storage,
		MaxMsgs:    e.cfg.maxQueued,
		Discard:    jetstream.DiscardNew, // refuse, never drop a queued task
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("remote: NewEngine: cannot make the task stream on %s (is JetStream enabled there?): %w", e.where(), err)
	}
	e.cons, err = stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.cfg.ackWait,
		MaxDeliver:    -1, // the task's own retry budget decides (see worker.go)
		MaxAckPending: 1 << 16,
	})
	if err != nil {
		return fmt.Errorf("remote: NewEngine: cannot make the workers' consumer: %w", err)
	}
	return nil
}

func (e *Engine) where() string {
	if e.cfg.urls != nil {
		return fmt.Sprint(e.cfg.urls)
	}
	return "the embedded server"
}

// startServer starts the embedded server and waits until it accepts
// connections.
func (e *Engine) startServer() error {
	dir := e.cfg.storeDir
	if dir == "" { // the server wants a directory even for memory streams
		var err error
		if dir, err = os.MkdirTemp("", "duet-remote-*"); err != nil {
			return fmt.Errorf("remote: NewEngine: cannot make a store directory: %w", err)
		}
		e.tmpDir = dir
	}
	sopts := &server.Options{
		ServerName: e.cfg.name,
		JetStream:  true,
		StoreDir:   dir,
		NoLog:      true,
		NoSigs:     true,
	}
	if e.cfg.listen == "" {
		sopts.DontListen = true
	} else {
		host, port, _ := net.SplitHostPort(e.cfg.listen)
		p, err := strconv.Atoi(port)
		if err != nil {
			return fmt.Errorf("remote: WithListen(%q): the port is not a number", e.cfg.listen)
		}
		sopts.Host, sopts.Port = host, p
		if p == 0 {
			sopts.Port = server.RANDOM_PORT
		}
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return fmt.Errorf("remote: NewEngine: cannot start the embedded server: %w", err)
	}
	e.srv = srv
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		return fmt.Errorf("remote: NewEngine: the embedded server did not become ready in 10s (store directory %q, listen %q)", dir, e.cfg.listen)
	}
	return nil
}

// URL returns the address worker processes give WithURLs to join this
// engine: the embedded server's, when it listens (WithListen), or the
// server connected to. An embedded engine without WithListen has none:
// URL returns "".
func (e *Engine) URL() string {
	if e.srv != nil {
		if e.cfg.listen == "" {
			return ""
		}
		return e.srv.ClientURL()
	}
	return e.nc.ConnectedUrl()
}

// Conn returns the engine's NATS connection, for monitoring or for
// messaging of one's own next to the tasks. It belongs to the engine: do not
// close it.
func (e *Engine) Conn() *nats.Conn { return e.nc }

// register adds c to what Close stops, or reports false when e is closed.
func (e *Engine) register(c closer) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.closers[c] = struct{}{}
	if cl, ok := c.(*Client); ok {
		e.inboxes[cl.prefix] = cl
	}
	return true
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

func (e *Engine) unregister(c closer) {
	e.mu.Lock()
	delete(e.closers, c)
	if cl, ok := c.(*Client); ok {
		delete(e.inboxes, cl.prefix)
	}
	e.mu.Unlock()
}

// Close stops the clients and workers made on e (their pending futures fail
// with an error matching duet.ErrClosed; running tasks see their context
// cancelled and are redelivered to another worker, since they were not
// acked), closes the connection and, if embedded, shuts the server down and
// removes its temporary store. Queued tasks stay in a file store given by
// WithStoreDir, and in a cluster. Close waits for the embedded server to stop;
// it may be called more than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	cs := make([]closer, 0, len(e.closers))
	for c := range e.closers {
		cs = append(cs, c)
	}
	e.mu.Unlock()
	for _, c := range cs {
		c.engineClosed()
	}
	return e.stop()
}

// onPubAck routes the stream's ack of a task message to its client.
func (e *Engine) onPubAck(_ jetstream.JetStream, m *nats.Msg, pa *jetstream.PubAck) {
	if c, id := e.clientOf(m); c != nil {
		c.pubAcked(id, pa, m.Header[hdrKey])
	}
}

// onPubErr routes a failed publish of a task message to its client.
func (e *Engine) onPubErr(_ jetstream.JetStream, m *nats.Msg, err error) {
	if c, id := e.clientOf(m); c != nil {
		c.pubFailed(id, err)
	}
}

// clientOf returns the client that published task message m, and the
// task's id.
func (e *Engine) clientOf(m *nats.Msg) (*Client, string) {
	v := m.Header[hdrMeta]
	if len(v) != 1 {
		return nil, ""
	}
	f, ok := metaFields(v[0])
	if !ok {
		return nil, ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inboxes[f[3]], f[1]
}

// connClosed fails the clients' pending futures when the connection is
// closed under them (by Close, or by whoever holds Conn): no result can
// reach them any more.
func (e *Engine) connClosed() {
	e.mu.Lock()
	cs := make([]*Client, 0, len(e.closers))
	for c := range e.closers {
		if cl, ok := c.(*Client); ok {
			cs = append(cs, cl)
		}
	}
	e.mu.Unlock()
	for _, c := range cs {
		c.shutdown(errEngineClosed, true, errEngineClosed)
	}
}

func (e *Engine) stop() error {
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	if e.tmpDir != "" {
		return os.RemoveAll(e.tmpDir)
	}
	return nil
}

// errEngineClosed is the error of work refused or abandoned because the
// engine closed.
var errEngineClosed = fmt.Errorf("remote: the engine was closed: %w", duet.ErrClosed)
