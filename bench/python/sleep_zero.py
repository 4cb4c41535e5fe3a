"""Two tasks taking turns with asyncio.sleep(0); one step = one task's sleep.

Twin of duetbench's sleep_zero: duet.Sleep(ctx, 0).
"""

import asyncio
import time

from _common import main


async def rep(n):
    async def body():
        for _ in range(n):
            await asyncio.sleep(0)

    t0 = time.perf_counter()
    t1 = asyncio.create_task(body())
    t2 = asyncio.create_task(body())
    await t1
    await t2
    return {"ns_per_step": (time.perf_counter() - t0) / (2 * n) * 1e9}


if __name__ == "__main__":
    main("sleep_zero", rep, 50_000, 5, __doc__)
