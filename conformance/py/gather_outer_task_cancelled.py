# The task awaiting a gather is cancelled: the cancellation goes through the
# gather to every child.
import asyncio
import harness


async def main(tr):
    async def child(name, d):
        try:
            await asyncio.sleep(d)
            return name
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    async def parent():
        try:
            return await asyncio.gather(child("a", 1), child("b", 1))
        except asyncio.CancelledError:
            tr.log("parent cancelled")
            raise

    p = asyncio.create_task(parent())
    await asyncio.sleep(0.01)
    p.cancel()
    try:
        await p
    except asyncio.CancelledError:
        tr.log("main: parent ended cancelled", p.cancelled())


if __name__ == "__main__":
    harness.main(main)
