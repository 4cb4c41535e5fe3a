# When main returns, asyncio.run cancels the tasks still running and waits
# for them; they see the cancellation and may clean up with more waits.
# (One background task only: asyncio.run cancels leftovers in set order.)
import asyncio
import harness


async def main(tr):
    async def bg():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            tr.log("bg cancelled at shutdown")
            await asyncio.sleep(0.01)
            tr.log("bg cleanup done")
            raise

    asyncio.create_task(bg())
    await asyncio.sleep(0.01)
    tr.log("main returns")


if __name__ == "__main__":
    harness.main(main)
