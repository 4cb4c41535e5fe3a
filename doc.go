// Package duet holds what Python's two concurrency models share, built once
// for Go: one Future, Await, Sleep, the combinators (Gather, Wait, WaitFor,
// AsCompleted, Shield, timeouts, Group) and the synchronisation primitives
// (Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier, Queue).
//
// Every blocking operation takes a context first, and the context decides how
// it waits: on a loop task of package aio (asyncio's model) waiting suspends
// the task and its loop runs other tasks; on any other goroutine (threading's
// model) waiting blocks the goroutine. Everything else is shared, so a lock,
// a queue or a future may be used by tasks of several loops and by plain
// goroutines at the same time.
//
// Cancellation follows asyncio on tasks (edge-triggered: a cancel request is
// delivered once, at the task's pending or next wait, and may be caught) and
// Go on goroutines (a wait ends when its context is done). Either way the
// error matches ErrCancelled, and a waiter that is cancelled leaves its
// primitive as if it had never waited: no lost wake-up, item or permit.
//
// Timeouts follow one rule, Python's, in every duet call that takes one
// (Wait, WaitFor, WithTimeout, AsCompletedTimeout, in package thread
// StartTimer and WithIdleTimeout, in package aio
// WithExecutorShutdownTimeout): a timeout <= 0 does not wait (Wait
// polls and returns the done/pending split, WaitFor cancels an unfinished
// awaitable at once, WithTimeout's deadline has already passed), a
// positive one waits at most that long, and NoTimeout waits without limit
// (Python's timeout=None). Waits that take only a context (a lock, a
// queue, Thread.Join) get their timeout from its deadline, and one already
// passed polls the same way: what can complete at once does, the rest
// times out.
//
// A nil context is refused, by one rule across duet, aio and thread: every
// call that waits, schedules or starts work returns an error matching
// ErrNilContext and does nothing (one that returns a future, a task, a
// thread or an iterator returns it failed with that error, or yields it
// once), even where it would not have had to wait. Go's rule is never to
// pass a nil Context, and duet cannot tell a task given nil from a
// goroutine: taken for a goroutine, the task would block its whole loop.
// Calls that only inspect a context (TimeoutFrom, aio.LoopOf,
// aio.CurrentTask, thread.Current, RLock.OwnedBy, Local.Get) report nothing
// for nil, and those that derive one (aio.WithLoop, thread.WithIdentity)
// give nil back, for the call that uses it to refuse.
package duet
