"""Uncontended asyncio.Lock acquire + release from the main task.

Twin of duetbench's lock_uncontended workload: duet.Lock Acquire + Release.
"""

import asyncio
import time

from _common import main


async def rep(n):
    lock = asyncio.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    return {"ns_per_op": (time.perf_counter() - t0) / n * 1e9}


if __name__ == "__main__":
    main("lock_uncontended", rep, 200_000, 5, __doc__)
