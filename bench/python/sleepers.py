"""n tasks each sleeping a random 0-100 ms on the real clock; main awaits all.

Twin of duetbench's sleepers. Reports wall time from the first create_task
to the last task's end, and the process's CPU time over the same span.
"""

import asyncio
import random
import time

from _common import main


async def sleeper(d):
    await asyncio.sleep(d)
    return 0


async def rep(n):
    rng = random.Random(1)
    ds = [rng.uniform(0, 0.1) for _ in range(n)]
    c0 = time.process_time()
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(sleeper(d)) for d in ds]
    for t in tasks:
        await t
    return {
        "wall_ms": (time.perf_counter() - t0) * 1e3,
        "cpu_ms": (time.process_time() - c0) * 1e3,
    }


if __name__ == "__main__":
    main("sleepers", rep, 100_000, 3, __doc__)
