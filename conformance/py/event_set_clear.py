# Event.set wakes every current waiter; they return true even if clear()
# runs before they resume. A later waiter waits for the next set; a
# cancelled waiter just leaves.
import asyncio
import harness


async def main(tr):
    ev = asyncio.Event()

    async def waiter(name):
        try:
            r = await ev.wait()
            tr.log(name, "woke", r, "is_set", ev.is_set())
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    ts = [asyncio.create_task(waiter(n)) for n in "abc"]
    await asyncio.sleep(0)
    ts[1].cancel()
    ev.set()
    ev.clear()
    tr.log("set and cleared")
    late = asyncio.create_task(waiter("late"))
    for t in ts:
        try:
            await t
        except asyncio.CancelledError:
            pass
    await asyncio.sleep(0.01)
    tr.log("late done", late.done())
    ev.set()
    await late
    tr.log("wait on set event", await ev.wait())


if __name__ == "__main__":
    harness.main(main)
