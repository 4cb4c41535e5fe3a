# A timeout expiring while the task waits for a lock: the wait is
# withdrawn, TimeoutError comes out, and the lock goes to the next waiter.
import asyncio
import harness


async def main(tr):
    lock = asyncio.Lock()
    await lock.acquire()

    async def impatient():
        try:
            async with asyncio.timeout(0.01):
                await lock.acquire()
            tr.log("impatient got the lock")
        except TimeoutError:
            tr.log("impatient timed out, locked", lock.locked())

    async def patient():
        async with lock:
            tr.log("patient got the lock")

    i = asyncio.create_task(impatient())
    p = asyncio.create_task(patient())
    await asyncio.sleep(0.02)
    lock.release()
    await i
    await p


if __name__ == "__main__":
    harness.main(main)
