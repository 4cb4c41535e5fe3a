# A putter woken by a get (room freed) but cancelled before it runs passes
# the room on to the next putter.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue(maxsize=1)
    q.put_nowait("x")

    async def putter(v):
        try:
            await q.put(v)
            tr.log("put", v)
        except asyncio.CancelledError:
            tr.log("putter", v, "cancelled")
            raise

    p1 = asyncio.create_task(putter("p1"))
    p2 = asyncio.create_task(putter("p2"))
    await asyncio.sleep(0)
    tr.log("got", q.get_nowait())
    p1.cancel()
    for p in (p1, p2):
        try:
            await p
        except asyncio.CancelledError:
            pass
    tr.log("queue holds", q.get_nowait())


if __name__ == "__main__":
    harness.main(main)
