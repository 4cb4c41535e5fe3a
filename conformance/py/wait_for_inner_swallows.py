# wait_for whose inner task swallows the cancellation and returns a value:
# the value is returned, not TimeoutError.
import asyncio
import harness


async def main(tr):
    async def stubborn():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("inner swallows")
            await asyncio.sleep(0.01)
        return "value"

    r = await asyncio.wait_for(asyncio.create_task(stubborn()), 0.02)
    tr.log("wait_for returned", r)


if __name__ == "__main__":
    harness.main(main)
