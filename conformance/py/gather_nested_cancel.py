# Cancelling the task that awaits a gather of a gather reaches every leaf.
import asyncio
import harness


async def main(tr):
    async def leaf(name):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    async def inner():
        return await asyncio.gather(leaf("a"), leaf("b"))

    async def outer():
        return await asyncio.gather(asyncio.create_task(inner()), leaf("c"))

    t = asyncio.create_task(outer())
    await asyncio.sleep(0.01)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        tr.log("outer cancelled", t.cancelled())


if __name__ == "__main__":
    harness.main(main)
