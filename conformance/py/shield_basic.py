# shield: cancelling the task that awaits shield(inner) cancels only the
# wait; inner runs on and its result stays available. If inner itself is
# cancelled, the awaiter sees the cancellation.
import asyncio
import harness


async def main(tr):
    async def inner(name, d):
        try:
            await asyncio.sleep(d)
            tr.log(name, "inner finishes")
            return name
        except asyncio.CancelledError:
            tr.log(name, "inner cancelled")
            raise

    it = asyncio.create_task(inner("one", 0.03))

    async def outer():
        try:
            return await asyncio.shield(it)
        except asyncio.CancelledError:
            tr.log("outer cancelled")
            raise

    o = asyncio.create_task(outer())
    await asyncio.sleep(0.01)
    o.cancel()
    try:
        await o
    except asyncio.CancelledError:
        tr.log("main: outer cancelled", o.cancelled(), "inner done", it.done())
    tr.log("inner result", await it)

    it2 = asyncio.create_task(inner("two", 0.03))
    asyncio.get_running_loop().call_later(0.01, it2.cancel)
    try:
        await asyncio.shield(it2)
    except asyncio.CancelledError:
        tr.log("shield of cancelled inner: cancelled")
    it3 = asyncio.create_task(inner("three", 0.01))
    tr.log("shield plain", await asyncio.shield(it3))


if __name__ == "__main__":
    harness.main(main)
