# Cancelling a task that awaits work handed to a thread. A running thread
# cannot be interrupted, in Python or in Go; what the task sees differs by
# how the work was handed off.
#
# A: asyncio.to_thread abandons the work: the task ends Cancelled at once,
#    the work runs on and its result is dropped (duet: aio.ToThread with
#    aio.AbandonOnCancel()).
# B: the task waits for the work to stop before it ends Cancelled, telling
#    it to stop on the way. Python writes that by hand (shield the future,
#    set a stop flag on cancellation, await the work, re-raise); it is what
#    duet's aio.ToThread does by default, the stop flag being the work's
#    context.
# C: work still queued behind a busy executor (one worker) never runs when
#    the task awaiting it is cancelled.
import asyncio
import concurrent.futures
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()

    async def cancel(part, t, started=None):
        if started is not None:
            await started.wait()
            tr.log(part + ": work running; cancel the task")
        t.cancel()
        try:
            await t
        except asyncio.CancelledError as e:
            tr.log(part + ": task ended", e, "cancelled", t.cancelled())

    # A
    started, finished = asyncio.Event(), asyncio.Event()
    release = threading.Event()

    def work_a():
        loop.call_soon_threadsafe(started.set)
        release.wait()
        tr.log("A: work returns 42")
        loop.call_soon_threadsafe(finished.set)
        return 42

    async def task_a():
        try:
            v = await asyncio.to_thread(work_a)
        except asyncio.CancelledError as e:
            tr.log("A: task sees", e)
            raise
        tr.log("A: task got", v)

    await cancel("A", asyncio.create_task(task_a()), started)
    tr.log("A: release the work")
    release.set()
    await finished.wait()
    tr.log("A: work finished after the task")

    # B
    started = asyncio.Event()
    stop = threading.Event()

    def work_b():
        loop.call_soon_threadsafe(started.set)
        stop.wait()
        tr.log("B: work told to stop; returns")
        return "partial"

    async def task_b():
        fut = loop.run_in_executor(None, work_b)
        try:
            v = await asyncio.shield(fut)
        except asyncio.CancelledError as e:
            stop.set()
            await fut
            tr.log("B: task sees", e, "after the work ended")
            raise
        tr.log("B: task got", v)

    await cancel("B", asyncio.create_task(task_b()), started)

    # C
    ran = []
    gate = threading.Event()
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    busy = loop.run_in_executor(ex, gate.wait)

    async def task_c():
        return await loop.run_in_executor(ex, lambda: ran.append("c"))

    t = asyncio.create_task(task_c())
    await asyncio.sleep(0)
    tr.log("C: cancel the task awaiting queued work")
    await cancel("C", t)
    gate.set()
    tr.log("C: busy work returned", await busy)
    await asyncio.to_thread(ex.shutdown)
    tr.log("C: queued work ran", ran)


if __name__ == "__main__":
    harness.main(main)
