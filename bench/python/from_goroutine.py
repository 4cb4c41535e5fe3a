"""A thread submits a trivial coroutine to a running loop and waits for it.

Twin of duetbench's from_goroutine (aio.Spawn(loop.Context(), fn) then
duet.Await from a goroutine): asyncio.run_coroutine_threadsafe(coro, loop)
.result() from a thread of the default executor, one at a time.
"""

import asyncio
import time

from _common import main


async def trivial():
    return 1


def body(loop, n):
    for _ in range(1000):  # warm-up, as the Go side does
        asyncio.run_coroutine_threadsafe(trivial(), loop).result()
    t0 = time.perf_counter()
    for _ in range(n):
        asyncio.run_coroutine_threadsafe(trivial(), loop).result()
    return (time.perf_counter() - t0) / n * 1e9


async def rep(n):
    loop = asyncio.get_running_loop()
    ns = await loop.run_in_executor(None, body, loop, n)
    return {"ns_per_op": ns}


if __name__ == "__main__":
    main("from_goroutine", rep, 10_000, 3, __doc__)
