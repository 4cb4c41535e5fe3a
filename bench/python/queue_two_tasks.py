"""asyncio.Queue (maxsize 128) from a producer task to a consumer task.

Twin of duetbench's queue_two_tasks workload: duet.Queue[int]. The producer
runs ahead until the queue is full, then the two tasks take turns.
"""

import asyncio
import time

from _common import main

MAXSIZE = 128


async def rep(n):
    q = asyncio.Queue(maxsize=MAXSIZE)

    async def producer():
        for i in range(n):
            await q.put(i)

    async def consumer():
        s = 0
        for _ in range(n):
            s += await q.get()
        return s

    t0 = time.perf_counter()
    p = asyncio.create_task(producer())
    c = asyncio.create_task(consumer())
    await p
    s = await c
    el = time.perf_counter() - t0
    assert s == n * (n - 1) // 2, s
    return {"items_per_s": n / el, "ns_per_item": el / n * 1e9}


if __name__ == "__main__":
    main("queue_two_tasks", rep, 100_000, 5, __doc__)
