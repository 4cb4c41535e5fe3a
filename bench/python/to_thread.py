"""asyncio.to_thread of a trivial function from a task, one at a time.

Twin of duetbench's to_thread (aio.ToThread): a round trip from the loop to
the default executor's threads and back.
"""

import asyncio
import time

from _common import main


def trivial():
    return 1


async def rep(n):
    for _ in range(1000):  # start the default executor's threads
        await asyncio.to_thread(trivial)
    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.to_thread(trivial)
    return {"ns_per_op": (time.perf_counter() - t0) / n * 1e9}


if __name__ == "__main__":
    main("to_thread", rep, 5_000, 3, __doc__)
