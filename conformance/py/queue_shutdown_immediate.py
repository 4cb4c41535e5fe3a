# Queue.shutdown(immediate=True) (3.13): the items left are dropped (each
# counting as done for join), blocked getters and putters raise
# QueueShutDown, and join() returns.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    q = asyncio.Queue()
    for v in "abc":
        q.put_nowait(v)
    tr.log("got", q.get_nowait())

    async def joiner():
        await q.join()
        tr.log("join returned")

    j = asyncio.create_task(joiner())
    await asyncio.sleep(0.01)
    q.shutdown(immediate=True)
    tr.log("shut down immediately, qsize", q.qsize(), "empty", q.empty())
    await asyncio.sleep(0)
    tr.log("join done", j.done())
    q.task_done()  # for "a", taken before the shutdown
    await j
    try:
        q.get_nowait()
    except asyncio.QueueShutDown as e:
        tr.log("get_nowait raised", e)
    try:
        q.task_done()
    except ValueError:
        tr.log("task_done too many: error")

    e = asyncio.Queue()

    async def getter():
        try:
            await e.get()
        except asyncio.QueueShutDown as err:
            tr.log("blocked getter raised", err)

    g = asyncio.create_task(getter())
    await asyncio.sleep(0)
    e.shutdown(immediate=True)
    await g


if __name__ == "__main__":
    harness.main(main)
