# LifoQueue returns the newest item first, PriorityQueue the smallest.
import asyncio
import harness


async def main(tr):
    lq = asyncio.LifoQueue()
    pq = asyncio.PriorityQueue()
    for v in (3, 1, 2):
        lq.put_nowait(v)
        pq.put_nowait(v)
    tr.log("lifo", [lq.get_nowait() for _ in range(3)])
    tr.log("priority", [pq.get_nowait() for _ in range(3)])

    async def getter():
        return await pq.get()

    g = asyncio.create_task(getter())
    await asyncio.sleep(0)
    pq.put_nowait(9)
    pq.put_nowait(4)
    tr.log("waiting getter got", await g, "left", pq.get_nowait())


if __name__ == "__main__":
    harness.main(main)
