# A cancelled lock waiter leaves the queue; a waiter cancelled after the
# release woke it (before it ran) passes the lock on to the next waiter.
import asyncio
import harness


async def main(tr):
    lock = asyncio.Lock()

    async def user(name):
        try:
            async with lock:
                tr.log(name, "holds")
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            tr.log(name, "cancelled while waiting")
            raise

    await lock.acquire()
    ts = {n: asyncio.create_task(user(n)) for n in "abcd"}
    await asyncio.sleep(0)
    ts["b"].cancel()
    await asyncio.sleep(0)
    lock.release()
    ts["a"].cancel()  # a was woken by the release but has not run yet
    for n, t in ts.items():
        try:
            await t
        except asyncio.CancelledError:
            tr.log(n, "ended cancelled")
    tr.log("locked", lock.locked())


if __name__ == "__main__":
    harness.main(main)
