# Condition: notify(n) wakes the n oldest waiters, each re-acquiring the
# lock in turn; notify_all wakes the rest; wait_for returns the predicate's
# value (true here); notify without the lock is an error.
import asyncio
import harness


async def main(tr):
    cond = asyncio.Condition()
    state = {"n": 0}

    async def waiter(name):
        async with cond:
            tr.log(name, "waits")
            await cond.wait()
            tr.log(name, "woke, locked", cond.locked())
            await asyncio.sleep(0.01)
        tr.log(name, "left")

    async def pred_waiter():
        async with cond:
            r = await cond.wait_for(lambda: state["n"] >= 2)
            tr.log("pred_waiter got", r)

    ts = [asyncio.create_task(waiter(n)) for n in "abcd"]
    p = asyncio.create_task(pred_waiter())
    await asyncio.sleep(0)
    try:
        cond.notify()
    except RuntimeError:
        tr.log("notify without lock: error")
    async with cond:
        cond.notify(2)
        state["n"] = 1
        tr.log("notified 2")
    await asyncio.sleep(0.05)
    async with cond:
        state["n"] = 2
        cond.notify_all()
        tr.log("notified all")
    for t in ts:
        await t
    await p
    tr.log("done")


if __name__ == "__main__":
    harness.main(main)
