# Which operations yield to the loop when there is nothing to wait for?
# Before each one a task is created that logs when it runs; the line after
# the operation tells whether it ran in between (the operation yielded).
# CPython 3.12+: awaiting done things, free locks and set events never
# yields, nor do gather and wait_for of done futures; wait() and
# as_completed() always do. (3.11's gather and wait_for of done futures
# yielded: the trace is 3.12's.)
import asyncio
import harness

REQUIRES = (3, 12)


async def main(tr):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    done.set_result(1)
    lock = asyncio.Lock()
    sem = asyncio.Semaphore(1)
    ev = asyncio.Event()
    ev.set()
    cond = asyncio.Condition()
    q = asyncio.Queue()

    async def gather_done():
        return await asyncio.gather(done, done)

    async def gather_empty():
        return await asyncio.gather()

    async def wait_done():
        await asyncio.wait([done])

    async def wait_for_done():
        return await asyncio.wait_for(done, 1)

    async def shield_done():
        return await asyncio.shield(done)

    async def as_completed_done():
        for c in asyncio.as_completed([done]):
            await c

    async def taskgroup_empty():
        async with asyncio.TaskGroup():
            pass

    async def timeout_no_wait():
        async with asyncio.timeout(1):
            pass

    async def lock_free():
        await lock.acquire()
        lock.release()

    async def semaphore_free():
        await sem.acquire()
        sem.release()

    async def event_set():
        await ev.wait()

    async def condition_true():
        async with cond:
            await cond.wait_for(lambda: True)

    async def queue_join_empty():
        await q.join()

    async def queue_get_ready():
        q.put_nowait(1)
        await q.get()
        q.task_done()

    ops = [gather_done, gather_empty, wait_done, wait_for_done, shield_done,
           as_completed_done, taskgroup_empty, timeout_no_wait, lock_free,
           semaphore_free, event_set, condition_true, queue_join_empty,
           queue_get_ready]
    for op in ops:
        name = op.__name__

        async def other():
            pass

        o = asyncio.create_task(other())
        await op()
        tr.log(name, "yielded", o.done())
        await o


if __name__ == "__main__":
    harness.main(main)
