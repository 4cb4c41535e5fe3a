# A getter woken by a put but cancelled before it runs does not take the
# item: it stays in the queue for the next getter. A cancelled putter's item
# is not added.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue()

    async def getter(name):
        try:
            v = await q.get()
            tr.log(name, "got", v)
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    g1 = asyncio.create_task(getter("g1"))
    g2 = asyncio.create_task(getter("g2"))
    await asyncio.sleep(0)
    q.put_nowait("item")
    g1.cancel()
    for g in (g1, g2):
        try:
            await g
        except asyncio.CancelledError:
            pass
    tr.log("qsize", q.qsize())

    b = asyncio.Queue(maxsize=1)
    b.put_nowait("first")

    async def putter(v):
        try:
            await b.put(v)
            tr.log("put", v)
        except asyncio.CancelledError:
            tr.log("putter", v, "cancelled")
            raise

    p1 = asyncio.create_task(putter("p1"))
    p2 = asyncio.create_task(putter("p2"))
    await asyncio.sleep(0)
    p1.cancel()
    tr.log("get", b.get_nowait())
    for p in (p1, p2):
        try:
            await p
        except asyncio.CancelledError:
            pass
    tr.log("queue holds", [b.get_nowait() for _ in range(b.qsize())])


if __name__ == "__main__":
    harness.main(main)
