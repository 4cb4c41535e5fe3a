# asyncio.timeout expiring and an outside cancel landing in the same
# iteration: the outside cancellation wins (CancelledError, not
# TimeoutError), because uncancel() does not bring the count back to where
# the timeout started.
import asyncio
import harness


async def main(tr):
    async def body():
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(1)
        except TimeoutError:
            tr.log("body: timeout")
            return "timeout"
        except asyncio.CancelledError:
            tr.log("body: cancelled, cancelling", asyncio.current_task().cancelling())
            raise

    t = asyncio.create_task(body())
    await asyncio.sleep(0)
    asyncio.get_running_loop().call_later(0.01, t.cancel, "outside")
    try:
        await t
    except asyncio.CancelledError:
        tr.log("main: task cancelled", t.cancelled())


if __name__ == "__main__":
    harness.main(main)
