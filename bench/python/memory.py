"""n tasks suspended on one future: resident memory per suspended task.

Twin of duetbench's memory workload. CPython has no separate heap and stack
accounting, so this reports the growth of the resident set (RSS) between
before spawning and when every task is suspended, after gc.collect().
"""

import asyncio
import gc
import os
import time

from _common import main


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def rep(n):
    loop = asyncio.get_running_loop()
    gate = loop.create_future()
    everyone = loop.create_future()
    started = 0

    async def body():
        nonlocal started
        started += 1
        if started == n:
            everyone.set_result(0)
        return await gate

    tasks = [None] * n
    gc.collect()
    before = rss()
    t0 = time.perf_counter()
    for i in range(n):
        tasks[i] = asyncio.create_task(body())
    await everyone
    spawn_ms = (time.perf_counter() - t0) * 1e3
    gc.collect()
    after = rss()
    gate.set_result(0)
    for t in tasks:
        await t
    return {
        "bytes_per_task": (after - before) / n,
        "total_mib": (after - before) / (1 << 20),
        "spawn_ms": spawn_ms,
    }


if __name__ == "__main__":
    main("memory", rep, 100_000, 1, __doc__)
