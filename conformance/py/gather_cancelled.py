# Cancelling the gather cancels every unfinished child and the awaiter gets
# CancelledError; a child cancelled on its own (not the gather) makes the
# gather raise CancelledError while the other children run on.
import asyncio
import harness


async def main(tr):
    async def child(name, d):
        try:
            await asyncio.sleep(d)
            tr.log(name, "finishes")
            return name
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    g = asyncio.gather(child("a", 0.05), child("b", 0.01), child("c", 0.05))
    await asyncio.sleep(0.02)
    tr.log("cancel gather", g.cancel())
    try:
        await g
    except asyncio.CancelledError as e:
        tr.log("gather raised", e)

    x = asyncio.create_task(child("x", 0.05))
    y = asyncio.create_task(child("y", 0.03))
    asyncio.get_running_loop().call_later(0.01, x.cancel)
    try:
        await asyncio.gather(x, y)
    except asyncio.CancelledError as e:
        tr.log("gather raised", e, "y done", y.done())
    await y
    tr.log("y finished after the gather failed")


if __name__ == "__main__":
    harness.main(main)
