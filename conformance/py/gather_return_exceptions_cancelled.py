# gather(return_exceptions=True) that is cancelled (through the task that
# awaits it): the children are cancelled, and once they have all finished
# the awaiter gets CancelledError, not a list.
import asyncio
import harness


async def main(tr):
    async def child(name, cleanup):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            await asyncio.sleep(cleanup)
            tr.log(name, "finished cleanup")
            raise

    async def parent():
        r = await asyncio.gather(child("a", 0.01), child("b", 0.02),
                                 return_exceptions=True)
        tr.log("parent got a list (wrong)", r)

    p = asyncio.create_task(parent())
    await asyncio.sleep(0.01)
    p.cancel()
    try:
        await p
    except asyncio.CancelledError:
        tr.log("parent cancelled", p.cancelled())


if __name__ == "__main__":
    harness.main(main)
