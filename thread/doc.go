// Package thread is duet's threading model: Python's threading and
// concurrent.futures, in Go, where threads really run in parallel (no GIL).
//
// It shares duet's one Future and one set of primitives with the event
// loop (package aio): a Thread and a pool task complete a *duet.Future that
// loop tasks and goroutines await alike, and duet.Lock, Event, Condition,
// Semaphore, Queue work from threads as from tasks.
//
//   - Thread (threading.Thread): Start, Join, IsAlive, Name, ID; its outcome
//     is a Future; errors nobody retrieves go to SetExceptHook's hook.
//   - Pool (concurrent.futures.ThreadPoolExecutor): NewPool, Submit, Map,
//     Shutdown, Close; bounded queue with back-pressure, lazy workers,
//     idle expiry, no deadlock on nested submission. Pool.Go submits
//     without a future (executor.submit with the future dropped; Go's
//     errgroup.Go): 32 bytes a task, and its error reaches the except hook.
//   - RLock (threading.RLock), Local (threading.local), Timer
//     (threading.Timer); Enumerate, ActiveCount, Current.
//   - concurrent.futures.wait and as_completed are duet.Wait and
//     duet.AsCompleted, which accept pool futures.
//
// # Thread identity
//
// Go has no goroutine identity, yet RLock ownership and thread-local values
// need one. In duet a thread is known by its context: the context a
// Thread's or pool task's function receives carries the identity of that
// thread (for a pool task, of its worker), and so do contexts derived from
// it. A loop task's context identifies the task. A goroutine started some
// other way can take an identity with WithIdentity. Pass the ctx you were
// given, as Go code does anyway.
//
// A thread's context also hides the loop task its parent context may
// belong to: a thread is not on the loop, so duet's waiting operations block
// it like any goroutine, instead of trying to suspend a task from a foreign
// goroutine.
package thread
