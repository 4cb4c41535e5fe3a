# The task running wait_for is cancelled from outside before the timeout:
# the inner task is cancelled too, and the cancellation (not TimeoutError)
# comes out.
import asyncio
import harness


async def main(tr):
    async def inner():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("inner cancelled")
            raise

    it = asyncio.create_task(inner())

    async def waiter():
        try:
            await asyncio.wait_for(it, 0.05)
        except TimeoutError:
            tr.log("waiter: timeout (wrong)")
        except asyncio.CancelledError:
            tr.log("waiter: cancelled")
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        tr.log("main: waiter cancelled", w.cancelled(), "inner cancelled", it.cancelled())
    await asyncio.sleep(0.05)
    tr.log("nothing fired later")


if __name__ == "__main__":
    harness.main(main)
