# A task awaits a job already running on a thread pool, under a 100 ms
# timeout; the job ends at 500 ms (a loop timer releases it). Python awaits
# the executor's future through asyncio.wrap_future, whose asyncio future
# can always be cancelled: the timeout fires at 100 ms and the job runs on,
# its result still there for a later await. duet awaits the pool's future
# itself (duet.WaitFor), and a running job refuses cancellation, so the task
# waits for the job before reporting the timeout. A known divergence (see
# knownDiffs).
import asyncio
import concurrent.futures
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    started = asyncio.Event()
    release = threading.Event()

    def job():
        loop.call_soon_threadsafe(started.set)
        release.wait()
        return 7

    f = ex.submit(job)
    await started.wait()
    loop.call_later(0.5, release.set)
    try:
        v = await asyncio.wait_for(asyncio.wrap_future(f), 0.1)
        tr.log("wait_for ->", v)
    except TimeoutError as e:
        tr.log("wait_for ->", e, "; job done", f.done())
    tr.log("job ->", await asyncio.wrap_future(f))
    await asyncio.to_thread(ex.shutdown)


if __name__ == "__main__":
    harness.main(main)
