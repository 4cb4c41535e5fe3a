# Semaphore hands permits out FIFO: released permits go to the oldest
# waiters, a newcomer queues behind them, and locked() stays true after a
# release while waiters exist. BoundedSemaphore refuses an extra release.
import asyncio
import harness


async def main(tr):
    sem = asyncio.Semaphore(2)

    async def user(name, hold):
        tr.log(name, "wants")
        async with sem:
            tr.log(name, "got")
            await asyncio.sleep(hold)
        tr.log(name, "released")

    ts = [asyncio.create_task(user(n, h)) for n, h in
          (("a", 0.02), ("b", 0.01), ("c", 0.01), ("d", 0.01))]
    await asyncio.sleep(0.01)
    tr.log("locked", sem.locked())
    ts.append(asyncio.create_task(user("e", 0.01)))
    for t in ts:
        await t
    tr.log("locked", sem.locked())
    b = asyncio.BoundedSemaphore(1)
    await b.acquire()
    b.release()
    try:
        b.release()
    except ValueError:
        tr.log("bounded over-release: error")


if __name__ == "__main__":
    harness.main(main)
