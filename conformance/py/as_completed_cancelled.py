# as_completed yields a cancelled awaitable in its turn; awaiting it raises
# CancelledError, and the iteration goes on.
import asyncio
import harness


async def main(tr):
    async def child(v, d):
        await asyncio.sleep(d)
        return v

    victim = asyncio.create_task(child("victim", 1))
    asyncio.get_running_loop().call_later(0.02, victim.cancel)
    for c in asyncio.as_completed([asyncio.create_task(child("a", 0.01)), victim,
                                   asyncio.create_task(child("b", 0.03))]):
        try:
            tr.log("next", await c)
        except asyncio.CancelledError:
            tr.log("next was cancelled")


if __name__ == "__main__":
    harness.main(main)
