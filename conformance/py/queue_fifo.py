# Queue: getters waiting on an empty queue are served FIFO; a bounded
# queue's putters wait FIFO for room; the nowait forms raise QueueEmpty and
# QueueFull.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue(maxsize=2)
    try:
        q.get_nowait()
    except asyncio.QueueEmpty as e:
        tr.log("get_nowait on empty:", e)

    async def getter(name):
        v = await q.get()
        tr.log(name, "got", v)

    gs = [asyncio.create_task(getter(n)) for n in ("g1", "g2")]
    await asyncio.sleep(0)
    await q.put("x")
    await q.put("y")
    tr.log("put x y, qsize", q.qsize())
    for g in gs:
        await g

    async def putter(v):
        await q.put(v)
        tr.log("put", v, "done")

    await q.put(1)
    await q.put(2)
    try:
        q.put_nowait(0)
    except asyncio.QueueFull as e:
        tr.log("put_nowait on full:", e, "full", q.full())
    ps = [asyncio.create_task(putter(v)) for v in (3, 4, 5)]
    await asyncio.sleep(0.01)
    for _ in range(5):
        tr.log("get", await q.get())
        await asyncio.sleep(0)
    for p in ps:
        await p
    tr.log("empty", q.empty())


if __name__ == "__main__":
    harness.main(main)
