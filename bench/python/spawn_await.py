"""spawn + await of a trivial task, one at a time, from the main task.

Twin of duetbench's spawn_await: aio.Spawn + duet.Await.
"""

import asyncio
import time

from _common import main


async def trivial():
    return 1


async def rep(n):
    for _ in range(1000):  # warm-up, as the Go side does
        await asyncio.create_task(trivial())
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.create_task(trivial())
    return {"ns_per_op": (time.perf_counter() - t0) / n * 1e9}


if __name__ == "__main__":
    main("spawn_await", rep, 20_000, 5, __doc__)
