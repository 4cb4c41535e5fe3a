# A swallowed cancellation: the task completes with its value, cancelled()
# is false, cancelling() stays 1, and the next waits are not cancelled.
import asyncio
import harness


async def main(tr):
    async def stubborn():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("swallowed")
        await asyncio.sleep(0.02)
        tr.log("second sleep completed")
        return 42

    t = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    t.cancel()
    v = await t
    tr.log("got", v, "cancelled", t.cancelled(), "cancelling", t.cancelling())


if __name__ == "__main__":
    harness.main(main)
