package conformance

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// Mixed scenarios: py/mixed_*.py. Threads and the event loop in one
// program. The Python side reaches the loop from a thread the way asyncio
// requires (run_coroutine_threadsafe, call_soon_threadsafe, to_thread,
// run_in_executor), since asyncio objects are not thread-safe; the duet side
// uses the same duet primitive from goroutines and tasks alike, which is
// duet's point. Each Python script says what its scenario checks.
//
// Both virtual clocks hold still while work handed to an executor is
// outstanding (aio.RunInExecutor and ToThread; run_in_executor and
// to_thread, see py/harness.py), but a plain thread is invisible to them: so
// none of these scenarios sets a loop timer while such a thread is what the
// loop waits for. Their traces log only what does not depend on how the
// threads are scheduled: orders that acknowledgements fix, and totals.

func init() {
	register("mixed_thread_producer_queue", mixedThreadProducerQueue)
	register("mixed_lock_tasks_threads", mixedLockTasksThreads)
	register("mixed_event_two_loops", mixedEventTwoLoops)
	register("mixed_to_thread_cancel", mixedToThreadCancel)
	register("mixed_shutdown_in_flight", mixedShutdownInFlight)
	register("mixed_run_coroutine_threadsafe", mixedRunCoroutineThreadsafe)
	register("mixed_threadsafe_cancel_swallowed", mixedThreadsafeCancelSwallowed)
	register("mixed_loop_shutdown_in_flight", mixedLoopShutdownInFlight)
	register("mixed_await_running_job_timeout", mixedAwaitRunningJobTimeout)
	knownDiffs["mixed_threadsafe_cancel_swallowed"] = "a thread that cancels a task it started on the loop, and awaits it, " +
		"gets what the task finally did: duet.Await on the task returns \"swallowed\" when the task catches the " +
		"cancellation and returns a value. CPython's run_coroutine_threadsafe gives the thread a concurrent.futures.Future " +
		"of its own, still PENDING while the task runs (nothing marks it running), so its cancel() cancels that future at " +
		"once and only asks the loop to cancel the task: the thread gets CancelledError whatever the task then does, and " +
		"the task's value is lost (the task itself ends with \"swallowed\", not cancelled, on both sides). duet's one " +
		"future per task is the design (a cancel is a request; the outcome is the task's); matching CPython would take " +
		"an aio.RunCoroutineThreadsafe returning a separate future that Cancel completes at once. For the owners of aio " +
		"to rule on; until then a Python port that relies on cancel() winning must check the task's outcome."
}

func mixedThreadProducerQueue(ctx context.Context, tr *Trace) error {
	const paced, flood = 6, 40
	names := []string{"c1", "c2", "c3"}
	loop := loopOf(ctx)
	q := duet.NewQueue[any](2)
	acks := duet.NewQueue[string](0)
	// Written by the consumer tasks, read by main once they have ended.
	floods := map[string][]int{}
	stops := map[string]int{}
	consumer := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for {
				item, err := q.Get(ctx)
				if err != nil {
					return none{}, err
				}
				switch v := item.(type) {
				case nil:
					stops[name]++
					return none{}, nil
				case string:
					tr.Log(name, "got", v)
					// Acknowledge from the loop: the callback runs once
					// this task waits in Get again, so the producer's next
					// Put cannot beat it back to the queue.
					loop.CallSoon(func() { acks.TryPut(name) })
				case int:
					floods[name] = append(floods[name], v)
				}
			}
		}
	}
	producer := func(ctx context.Context) (none, error) {
		for i := range paced {
			item := "p" + strconv.Itoa(i)
			tr.Log("producer puts", item)
			if err := q.Put(ctx, item); err != nil {
				return none{}, err
			}
			if _, err := acks.Get(ctx); err != nil {
				return none{}, err
			}
		}
		for i := range flood {
			if err := q.Put(ctx, i); err != nil {
				return none{}, err
			}
		}
		for range names {
			if err := q.Put(ctx, nil); err != nil {
				return none{}, err
			}
		}
		return none{}, nil
	}
	var cs []*aio.Task[none]
	for _, n := range names {
		cs = append(cs, aio.Spawn(ctx, consumer(n)))
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	th := thread.Start(ctx, "producer", producer)
	if err := awaitAll(ctx, cs...); err != nil {
		return err
	}
	if _, err := th.Join(ctx); err != nil {
		return err
	}
	var got []int
	increasing := true
	for _, n := range names {
		got = append(got, floods[n]...)
		increasing = increasing && slices.IsSorted(floods[n])
	}
	slices.Sort(got)
	tr.Log("flood: every item once", slices.Equal(got, seq(flood)))
	tr.Log("flood: each consumer's items increasing", increasing)
	tr.Log("sentinels per consumer", []int{stops["c1"], stops["c2"], stops["c3"]})
	tr.Log("queue empty", q.Empty(), "acks left", acks.Len())
	return nil
}

func mixedLockTasksThreads(ctx context.Context, tr *Trace) error {
	const rounds = 5
	var lock duet.Lock
	// Guarded by lock: a section that overlapped another would show.
	var counter, inside, overlaps int
	sections := map[string]int{}
	enter := func(name string) int {
		inside++
		if inside > 1 {
			overlaps++
		}
		sections[name]++
		return counter
	}
	leave := func(v int) {
		counter = v + 1
		inside--
	}
	taskUser := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for range rounds {
				if err := lock.Acquire(ctx); err != nil {
					return none{}, err
				}
				v := enter(name)
				err := duet.Sleep(ctx, 0)
				leave(v)
				lock.Release()
				if err != nil {
					return none{}, err
				}
			}
			return none{}, nil
		}
	}
	threadUser := func(name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for range rounds {
				if err := lock.Acquire(ctx); err != nil {
					return none{}, err
				}
				v := enter(name)
				runtime.Gosched()
				leave(v)
				lock.Release()
			}
			return none{}, nil
		}
	}
	var ths []*thread.Thread[none]
	ts := []*aio.Task[none]{aio.Spawn(ctx, taskUser("t1")), aio.Spawn(ctx, taskUser("t2"))}
	for _, n := range []string{"th1", "th2"} {
		ths = append(ths, thread.Start(ctx, n, threadUser(n)))
	}
	if err := awaitAll(ctx, ts...); err != nil {
		return err
	}
	for _, th := range ths {
		if _, err := th.Join(ctx); err != nil {
			return err
		}
	}
	tr.Log("counter", counter, "overlaps", overlaps)
	tr.Log("sections", []int{sections["t1"], sections["t2"], sections["th1"], sections["th2"]})
	tr.Log("locked", lock.Locked())
	return nil
}

func mixedEventTwoLoops(ctx context.Context, tr *Trace) error {
	var ev, ready1, ready2 duet.Event
	// Each list has one writer: its loop's tasks, or the waiting thread.
	var woke1, woke2, wokeThread []string
	var results []string // loop 2's, read after it has ended
	var set2 bool
	waiter := func(woke *[]string, name string) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			if err := ev.Wait(ctx); err != nil {
				*woke = append(*woke, name+":"+kind(err))
				return none{}, err
			}
			*woke = append(*woke, name)
			return none{}, nil
		}
	}
	main2 := func(ctx context.Context) error {
		var ws []*aio.Task[none]
		for _, n := range []string{"b1", "b2", "b3"} {
			ws = append(ws, aio.Spawn(ctx, waiter(&woke2, n)))
		}
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		ws[1].Cancel("")
		if err := duet.Sleep(ctx, 0); err != nil {
			return err
		}
		ready2.Set()
		for _, w := range ws {
			_, err := duet.Await(ctx, w)
			results = append(results, kind(err))
		}
		set2 = ev.IsSet()
		return nil
	}
	var ws []*aio.Task[none]
	for _, n := range []string{"a1", "a2", "a3"} {
		ws = append(ws, aio.Spawn(ctx, waiter(&woke1, n)))
	}
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	ths := []*thread.Thread[none]{
		thread.Start(ctx, "loop2", func(ctx context.Context) (none, error) {
			return none{}, aio.Run(ctx, main2, aio.WithVirtualClock())
		}),
		thread.Start(ctx, "waiter", func(ctx context.Context) (none, error) {
			if err := ev.Wait(ctx); err != nil {
				return none{}, err
			}
			wokeThread = append(wokeThread, "th")
			return none{}, nil
		}),
		thread.Start(ctx, "setter", func(ctx context.Context) (none, error) {
			if err := ready1.Wait(ctx); err != nil {
				return none{}, err
			}
			if err := ready2.Wait(ctx); err != nil {
				return none{}, err
			}
			ev.Set()
			return none{}, nil
		}),
	}
	ready1.Set()
	if err := awaitAll(ctx, ws...); err != nil {
		return err
	}
	for _, th := range ths {
		if _, err := th.Join(ctx); err != nil {
			return err
		}
	}
	tr.Log("L1 woke", woke1)
	tr.Log("L2 woke", woke2, "results", results)
	tr.Log("thread woke", wokeThread)
	tr.Log("set", ev.IsSet(), set2, ev.IsSet())
	return nil
}

func mixedToThreadCancel(ctx context.Context, tr *Trace) error {
	cancel := func(part string, t *aio.Task[none], started *duet.Event) error {
		if started != nil {
			if err := started.Wait(ctx); err != nil {
				return err
			}
			tr.Log(part + ": work running; cancel the task")
		}
		t.Cancel("")
		if _, err := duet.Await(ctx, t); err != nil {
			tr.Log(part+": task ended", err, "cancelled", t.Cancelled())
		}
		return nil
	}

	// A: the task abandons the work.
	var started, finished duet.Event
	release := make(chan struct{})
	workA := func(context.Context) (int, error) {
		started.Set()
		<-release // a blocking call that ignores its context, like any Python thread
		tr.Log("A: work returns 42")
		finished.Set()
		return 42, nil
	}
	taskA := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		v, err := aio.ToThread(ctx, workA, aio.AbandonOnCancel())
		if err != nil {
			tr.Log("A: task sees", err)
			return none{}, err
		}
		tr.Log("A: task got", v)
		return none{}, nil
	})
	if err := cancel("A", taskA, &started); err != nil {
		return err
	}
	tr.Log("A: release the work")
	close(release)
	if err := finished.Wait(ctx); err != nil {
		return err
	}
	tr.Log("A: work finished after the task")

	// B: the task waits for the work, whose context tells it to stop.
	var startedB duet.Event
	workB := func(ctx context.Context) (string, error) {
		startedB.Set()
		<-ctx.Done()
		tr.Log("B: work told to stop; returns")
		return "partial", nil
	}
	taskB := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		v, err := aio.ToThread(ctx, workB)
		if err != nil {
			tr.Log("B: task sees", err, "after the work ended")
			return none{}, err
		}
		tr.Log("B: task got", v)
		return none{}, nil
	})
	if err := cancel("B", taskB, &startedB); err != nil {
		return err
	}

	// C: queued work whose awaiting task is cancelled never runs.
	var ran []string // written by the pool's worker, read after Close
	var gate duet.Event
	pool, err := thread.NewPool(1)
	if err != nil {
		return err
	}
	busy := aio.RunInExecutor(ctx, pool, func(ctx context.Context) (bool, error) {
		return true, gate.Wait(ctx)
	})
	taskC := aio.Spawn(ctx, func(ctx context.Context) (none, error) {
		return duet.Await(ctx, aio.RunInExecutor(ctx, pool, func(context.Context) (none, error) {
			ran = append(ran, "c")
			return none{}, nil
		}))
	})
	if err := duet.Sleep(ctx, 0); err != nil {
		return err
	}
	tr.Log("C: cancel the task awaiting queued work")
	if err := cancel("C", taskC, nil); err != nil {
		return err
	}
	gate.Set()
	v, err := duet.Await(ctx, busy)
	if err != nil {
		return err
	}
	tr.Log("C: busy work returned", v)
	if err := pool.Close(ctx); err != nil {
		return err
	}
	tr.Log("C: queued work ran", ran)
	return nil
}

func mixedShutdownInFlight(ctx context.Context, tr *Trace) error {
	var running duet.Semaphore // no permits: the jobs add them
	var release duet.Event
	var ran [5]bool // job i writes ran[i]; read after the pool has stopped
	pool, err := thread.NewPool(2)
	if err != nil {
		return err
	}
	job := func(i int) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			running.Release()
			if err := release.Wait(ctx); err != nil {
				return 0, err
			}
			ran[i] = true
			return i * 10, nil
		}
	}
	var futs []*duet.Future[int]
	for i := range 5 {
		futs = append(futs, thread.Submit(ctx, pool, job(i)))
	}
	waiter := func(i int) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			v, err := duet.Await(ctx, futs[i])
			if err != nil {
				tr.Log("waiter", i, "sees", cancelKind(err))
				return none{}, err
			}
			tr.Log("waiter", i, "got", v)
			return none{}, nil
		}
	}
	w1 := aio.Spawn(ctx, waiter(1))
	w3 := aio.Spawn(ctx, waiter(3))
	for range 2 {
		if err := running.Acquire(ctx); err != nil {
			return err
		}
	}
	tr.Log("jobs 0 and 1 running; shut down, cancelling the queued jobs")
	pool.Shutdown(false, true)
	if _, err := thread.Submit(ctx, pool, job(5)).Result(); errors.Is(err, duet.ErrClosed) {
		tr.Log("submit after shutdown refused")
	}
	if _, err := duet.Await(ctx, w3); err != nil {
		tr.Log("w3 cancelled", w3.Cancelled())
	}
	release.Set()
	if _, err := duet.Await(ctx, w1); err != nil {
		return err
	}
	if err := pool.Close(ctx); err != nil {
		return err
	}
	for i, f := range futs {
		if f.Cancelled() {
			tr.Log("job", i, "cancelled")
		} else {
			v, err := f.Result()
			if err != nil {
				return err
			}
			tr.Log("job", i, "result", v)
		}
	}
	var which []int
	for i, r := range ran {
		if r {
			which = append(which, i)
		}
	}
	tr.Log("ran", which)
	return nil
}

func mixedRunCoroutineThreadsafe(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	var started, ended duet.Event
	var seen []error // written by slow, read by the client after ended
	add := func(a, b int) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			return a + b, duet.Sleep(ctx, 0)
		}
	}
	fails := func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, 0); err != nil {
			return 0, err
		}
		return 0, &Err{"boom"}
	}
	slow := func(ctx context.Context) (int, error) {
		started.Set()
		defer ended.Set()
		var never duet.Event
		err := never.Wait(ctx) // until cancelled
		seen = append(seen, err)
		return 0, err
	}
	client := func(ctx context.Context) (none, error) {
		tr.Log("client: add ->", outcome(duet.Await(ctx, aio.Spawn(loop.Context(), add(1, 2)))))
		tr.Log("client: fails ->", outcome(duet.Await(ctx, aio.Spawn(loop.Context(), fails))))
		t := aio.Spawn(loop.Context(), slow)
		if err := started.Wait(ctx); err != nil {
			return none{}, err
		}
		tr.Log("client: slow started; cancel ->", t.Cancel(""))
		if err := ended.Wait(ctx); err != nil {
			return none{}, err
		}
		tr.Log("client: slow ->", outcome(duet.Await(ctx, t)), "; the coroutine saw", seen)
		return none{}, nil
	}
	if _, err := thread.Start(ctx, "client", client).Join(ctx); err != nil {
		return err
	}
	tr.Log("main: client done")
	return nil
}

func mixedThreadsafeCancelSwallowed(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	var started, ended duet.Event
	stubborn := func(ctx context.Context) (string, error) {
		started.Set()
		defer ended.Set()
		var never duet.Event
		if err := never.Wait(ctx); isCancel(err) {
			return "swallowed", nil
		}
		return "", nil
	}
	var t *aio.Task[string] // set by the client, read after Join
	client := func(ctx context.Context) (none, error) {
		t = aio.Spawn(loop.Context(), stubborn)
		if err := started.Wait(ctx); err != nil {
			return none{}, err
		}
		tr.Log("client: cancel ->", t.Cancel(""))
		if err := ended.Wait(ctx); err != nil {
			return none{}, err
		}
		tr.Log("client: result ->", outcome(duet.Await(ctx, t)))
		return none{}, nil
	}
	if _, err := thread.Start(ctx, "client", client).Join(ctx); err != nil {
		return err
	}
	_, _ = duet.Await(ctx, t)
	tr.Log("main: the task itself ->", outcome(t.Result()), "cancelled", t.Cancelled())
	return nil
}

func mixedLoopShutdownInFlight(ctx context.Context, tr *Trace) error {
	var started, stop duet.Event
	work := func(context.Context) (int, error) {
		started.Set()
		// The work ignores its context, as a Python thread cannot see a
		// cancellation; the leftover task tells it to stop.
		if err := stop.Wait(context.Background()); err != nil {
			return 0, err
		}
		time.Sleep(10 * time.Millisecond) // a loop that did not wait would end first
		tr.Log("work: stopped; returns")
		return 1, nil
	}
	aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		v, err := aio.ToThread(ctx, work, aio.AbandonOnCancel())
		if err != nil {
			tr.Log("leftover: sees", err, "; tells the work to stop")
			stop.Set()
		}
		return v, err
	})
	if err := started.Wait(ctx); err != nil {
		return err
	}
	tr.Log("main: returns with the work in flight")
	return nil
}

func mixedAwaitRunningJobTimeout(ctx context.Context, tr *Trace) error {
	loop := loopOf(ctx)
	pool, err := thread.NewPool(1)
	if err != nil {
		return err
	}
	var started duet.Event
	release := make(chan struct{})
	f := thread.Submit(ctx, pool, func(context.Context) (int, error) {
		started.Set()
		<-release
		return 7, nil
	})
	if err := started.Wait(ctx); err != nil {
		return err
	}
	loop.CallLater(500*ms, func() { close(release) })
	v, err := duet.WaitFor(ctx, f, 100*ms)
	if err != nil {
		tr.Log("wait_for ->", err, "; job done", f.IsDone())
	} else {
		tr.Log("wait_for ->", v)
	}
	tr.Log("job ->", outcome(duet.Await(ctx, f)))
	return pool.Close(ctx)
}

// outcome is what to log of an operation's outcome: its error, or else its
// value (Python: harness.outcome).
func outcome[T any](v T, err error) any {
	if err != nil {
		return err
	}
	return v
}

// cancelKind is kind, except that a cancellation is "Cancelled" whatever
// its message. A job that a pool's shutdown cancels carries a message in
// duet ("Cancelled(thread: pool shut down before the task started)") and
// none in Python (concurrent.futures cancels it with Future.cancel(), which
// takes no message, and asyncio.wrap_future copies that): a deliberate
// explanation, not a difference in behaviour.
func cancelKind(err error) string {
	if errors.Is(err, duet.ErrCancelled) {
		return "Cancelled"
	}
	return kind(err)
}

// seq returns 0, 1, ..., n-1 (Python: list(range(n))).
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
