# A Condition waiter cancelled before any notify leaves the queue (after
# re-acquiring the lock); notify(1) then wakes the next waiter.
#
# CPython 3.13's fix of gh-112202 makes every waiter whose wait() raises
# notify another one, so here the cancelled a, never notified, wakes b
# spuriously at 0 ms (allowed by the condition-variable contract). duet
# forwards only a notification the cancelled waiter had received (see
# duet.Condition), which is 3.11 and 3.12's trace for this scenario: the
# reference here is 3.12.
import asyncio
import harness

MAX_PYTHON = (3, 12)


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
    c = asyncio.create_task(waiter("c"))
    await asyncio.sleep(0)
    a.cancel()
    await asyncio.sleep(0.01)
    async with cond:
        cond.notify(1)
        tr.log("notified one")
    await asyncio.sleep(0.01)
    tr.log("b done", b.done(), "c done", c.done())
    async with cond:
        cond.notify_all()
    for t in (a, b, c):
        try:
            await t
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    harness.main(main)
