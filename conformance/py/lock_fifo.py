# Lock is FIFO-fair: a released lock goes to the oldest waiter, and a task
# that arrives after the release, before that waiter runs, queues behind
# it instead of barging; locked() stays true across the hand-off.
import asyncio
import harness


async def main(tr):
    lock = asyncio.Lock()

    async def user(name):
        tr.log(name, "wants")
        async with lock:
            tr.log(name, "holds")
            await asyncio.sleep(0.01)
            tr.log(name, "releases")

    await lock.acquire()
    ts = [asyncio.create_task(user(n)) for n in "abc"]
    await asyncio.sleep(0)
    lock.release()
    tr.log("main released, locked", lock.locked())
    ts.append(asyncio.create_task(user("d")))
    for t in ts:
        await t
    tr.log("locked", lock.locked())
    try:
        lock.release()
    except RuntimeError:
        tr.log("release unlocked: error")


if __name__ == "__main__":
    harness.main(main)
