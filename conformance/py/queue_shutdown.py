# Queue.shutdown() (3.13): blocked putters and later puts raise
# QueueShutDown; getters drain what is left, then raise QueueShutDown
# (blocked getters are woken with it).
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    q = asyncio.Queue(maxsize=2)
    q.put_nowait(1)
    q.put_nowait(2)

    async def putter(v):
        try:
            await q.put(v)
            tr.log("put", v)
        except asyncio.QueueShutDown as e:
            tr.log("putter", v, "raised", e)

    p = asyncio.create_task(putter(3))
    await asyncio.sleep(0)
    q.shutdown()
    tr.log("shut down, qsize", q.qsize())
    await p
    try:
        q.put_nowait(4)
    except asyncio.QueueShutDown as e:
        tr.log("put_nowait raised", e)
    tr.log("get", await q.get(), "get", q.get_nowait())
    try:
        await q.get()
    except asyncio.QueueShutDown as e:
        tr.log("get on drained queue raised", e)

    e = asyncio.Queue()

    async def getter(name):
        try:
            tr.log(name, "got", await e.get())
        except asyncio.QueueShutDown as err:
            tr.log(name, "raised", err)

    gs = [asyncio.create_task(getter(n)) for n in ("g1", "g2")]
    await asyncio.sleep(0.01)
    e.shutdown()
    for g in gs:
        await g


if __name__ == "__main__":
    harness.main(main)
