# Cancelling a gather (here: the task awaiting it) while one child swallows
# the cancellation: the gather raises CancelledError as soon as the other
# child reports its cancellation, without waiting for the swallower.
import asyncio
import harness


async def main(tr):
    async def swallower():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("swallower swallows")
        await asyncio.sleep(0.02)
        tr.log("swallower returns")
        return "s"

    async def normal():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("normal cancelled")
            raise

    sw = asyncio.create_task(swallower())
    no = asyncio.create_task(normal())

    async def parent():
        return await asyncio.gather(sw, no)

    p = asyncio.create_task(parent())
    await asyncio.sleep(0.01)
    p.cancel()
    try:
        await p
    except asyncio.CancelledError:
        tr.log("parent cancelled, swallower done", sw.done())
    tr.log("swallower result", await sw)


if __name__ == "__main__":
    harness.main(main)
