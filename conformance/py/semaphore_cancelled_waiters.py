# gh-90155: permits released to waiters that are then cancelled before they
# run must go to the next waiters, never be lost, and a newcomer must not
# take them first. Two releases wake a and b; a is cancelled before it runs,
# so c gets its permit; the newcomer d waits until b and c release.
import asyncio
import harness


async def main(tr):
    sem = asyncio.Semaphore(0)

    async def user(name):
        try:
            await sem.acquire()
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise
        tr.log(name, "got")
        await asyncio.sleep(0.01)
        sem.release()
        tr.log(name, "released")

    ts = {n: asyncio.create_task(user(n)) for n in "abc"}
    await asyncio.sleep(0)
    sem.release()
    sem.release()
    ts["a"].cancel()
    ts["d"] = asyncio.create_task(user("d"))
    tr.log("locked after releases", sem.locked())
    for n, t in ts.items():
        try:
            await t
        except asyncio.CancelledError:
            tr.log(n, "ended cancelled")
    tr.log("locked", sem.locked(), "free permits", not sem.locked())
    await sem.acquire()
    await sem.acquire()
    tr.log("two permits left, locked", sem.locked())


if __name__ == "__main__":
    harness.main(main)
