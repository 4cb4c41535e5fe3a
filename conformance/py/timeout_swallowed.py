# A body that swallows the timeout's cancellation and returns normally:
# no TimeoutError, but the timeout reports expired; the task's cancelling()
# count is back to 0.
import asyncio
import harness


async def main(tr):
    async with asyncio.timeout(0.01) as cm:
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("body swallows")
        await asyncio.sleep(0.01)
        tr.log("body goes on")
    tr.log("no error, expired", cm.expired(), "cancelling",
           asyncio.current_task().cancelling())


if __name__ == "__main__":
    harness.main(main)
