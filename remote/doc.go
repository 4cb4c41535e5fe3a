// Package remote runs duet's futures on a cluster: the same *duet.Future a
// thread.Pool returns, completed by workers in this process, other
// processes or other machines, carried by NATS JetStream. Python users
// move from concurrent.futures to Dask's client.submit or Ray's .remote()
// when their work outgrows one machine; remote is that step for duet,
// on an existing, proven engine rather than a home-made queue.
//
// It is a module of its own (github.com/duet-go/duet/remote), so that duet's
// own go.mod depends on nothing of NATS.
//
// # The pieces
//
//   - An Engine is the connection to JetStream. NewEngine() embeds a server
//     in the process, reached through an in-process connection (no socket,
//     no port): one machine, tests and examples need nothing running.
//     WithListen lets other processes join it on a loopback (or any)
//     address; WithURLs connects to a real NATS cluster instead, with the
//     same code above it.
//   - A Task is a typed, named, versioned function: Go cannot ship a
//     closure, so callers submit a name and the workers that registered it
//     run it (Define, Handle, Registry).
//   - A Client submits (Submit, Map) and completes the futures; a Worker
//     (Serve) runs a registry's tasks in N slots. The duet-worker command
//     (cmd/duet-worker) is a worker process serving demo tasks, for the
//     multi-process tests and the benchmark.
//
// Because results are *duet.Future values, duet.Gather, Wait, AsCompleted,
// Group, loop tasks and goroutines all work on remote work unchanged, mixed
// with local futures.
//
// # How a task travels
//
// Submit encodes the arguments with the client's Codec (JSON unless
// WithCodec; []byte travels as it is) and publishes one message to a work-queue stream, with the
// task's name, id, deadline and retry budget in headers; the stream's ack
// tells the client it is stored. Workers share one durable pull consumer
// with explicit acks. A worker runs the task, sends the result on core
// NATS to the caller's inbox, then acks the message, which leaves the
// stream. Results are never stored: a result whose caller stopped waiting
// is dropped on arrival, so there is no result store to grow without bound
// (Celery's result backend is a known trap).
//
// # Semantics
//
//   - At least once. A task not acked within the engine's ack wait
//     (WithAckWait, DefaultAckWait) is redelivered to another worker; a
//     running task's worker sends "in progress" heartbeats every third of
//     the ack wait, so the ack wait stays short whatever the task's length.
//     The first result completes the future; duplicates are dropped.
//     WithIdempotencyKey dedupes submissions and tells the handler (Info)
//     the key to make its side effects idempotent across redeliveries.
//   - Finite retries. WithRetries (DefaultRetries) bounds the attempts a
//     lost worker costs, WithRetryOnError retries errors too with backoff;
//     when the attempts are spent the future fails with a *PoisonError
//     carrying the last failure, where JetStream alone would redeliver
//     forever.
//   - Cancellation. Cancelling the future or Submit's ctx completes the
//     future as cancelled at once and broadcasts the cancel: the running
//     task's ctx is cancelled, a task not yet started is removed from the
//     stream or skipped by the worker that fetches it, and a cancelled task
//     is never retried.
//   - Timeouts and callers that go away. WithTimeout (or ctx's deadline)
//     bounds a task on both sides. A worker checks, at heartbeats of a task
//     that has run a while, that the caller's inbox still has a listener,
//     and cancels the task if not: a caller that restarts does not leave
//     its tasks running forever.
//   - Errors keep their message and their kind: errors.Is matches duet's
//     sentinels and values registered with RegisterErrorValue, errors.As
//     finds types registered with RegisterError, and a panic arrives as a
//     *duet.PanicError with the worker's value and stack.
//   - Back-pressure. A client keeps at most WithMaxInFlight tasks
//     outstanding: Submit waits beyond it (suspending a loop task, blocking
//     a goroutine) or, WithRejectWhenFull, fails with ErrFull, as
//     thread.Pool's bounded queue does; the stream itself holds at most
//     WithMaxQueued tasks.
//
// # Executors
//
// aio.RunInExecutor and a loop's default executor take closures, which
// cannot travel; a cluster takes named tasks. The two therefore share the
// future, not an interface: a loop task awaits remote.Submit's future as
// it awaits aio.RunInExecutor's.
//
// # Limits
//
// A result is sent once, on core NATS: if the caller's connection drops
// while a result is in flight, that future waits until its timeout (give
// one with WithTimeout where the network is unreliable) or until the
// client shuts down. The worker applies a task's deadline from its own
// clock, so callers and workers are assumed to have roughly synchronized
// clocks.
package remote
