# gh-112202 (fixed in 3.13): a waiter that is notified and then cancelled
# before it runs must not swallow the notification: it is passed on to
# another waiter. The cancelled waiter still re-acquires the lock before
# its wait raises. CPython 3.11 and 3.12 lose the wake-up (b never wakes
# and is only cancelled at the end), so this trace is 3.13's.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    cond = asyncio.Condition()

    async def waiter(name):
        async with cond:
            try:
                await cond.wait()
                tr.log(name, "woke")
            except asyncio.CancelledError:
                tr.log(name, "cancelled, holds lock", cond.locked())
                raise

    a = asyncio.create_task(waiter("a"))
    b = asyncio.create_task(waiter("b"))
    await asyncio.sleep(0)
    async with cond:
        cond.notify(1)
    a.cancel()
    tr.log("notified one, cancelled a")
    try:
        await a
    except asyncio.CancelledError:
        tr.log("a ended cancelled")
    await asyncio.sleep(0.1)
    if b.done():
        tr.log("b done")
    else:
        tr.log("b lost its wake-up")
        b.cancel()
        try:
            await b
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    harness.main(main)
