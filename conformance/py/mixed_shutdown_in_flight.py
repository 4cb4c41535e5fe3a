# An executor shut down with work in flight: two jobs running, three
# queued, loop tasks awaiting one of each. shutdown(wait=False,
# cancel_futures=True) cancels the queued jobs at once, so the task
# awaiting one sees the cancellation, refuses new jobs, and lets the running
# ones finish: the task awaiting one of those gets its result. Python wraps
# the executor's futures for the loop (asyncio.wrap_future), and the jobs
# reach the loop with call_soon_threadsafe; duet's tasks await the pool's
# futures directly, and the jobs signal the loop with a duet.Semaphore.
import asyncio
import concurrent.futures
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    running = asyncio.Semaphore(0)
    release = threading.Event()
    ran = []
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=2)

    def job(i):
        loop.call_soon_threadsafe(running.release)
        release.wait()
        ran.append(i)
        return i * 10

    futs = [ex.submit(job, i) for i in range(5)]

    async def waiter(i):
        try:
            v = await asyncio.wrap_future(futs[i])
        except asyncio.CancelledError as e:
            tr.log("waiter", i, "sees", e)
            raise
        tr.log("waiter", i, "got", v)

    w1 = asyncio.create_task(waiter(1))
    w3 = asyncio.create_task(waiter(3))
    for _ in range(2):
        await running.acquire()
    tr.log("jobs 0 and 1 running; shut down, cancelling the queued jobs")
    ex.shutdown(wait=False, cancel_futures=True)
    try:
        ex.submit(job, 5)
    except RuntimeError:
        tr.log("submit after shutdown refused")
    try:
        await w3
    except asyncio.CancelledError:
        tr.log("w3 cancelled", w3.cancelled())
    release.set()
    await w1
    await asyncio.to_thread(ex.shutdown, wait=True)
    for i, f in enumerate(futs):
        tr.log("job", i, "cancelled" if f.cancelled() else f"result {f.result()}")
    tr.log("ran", sorted(ran))


if __name__ == "__main__":
    harness.main(main)
