# A task woken by Event.set but cancelled before it runs gets the
# cancellation, not true.
import asyncio
import harness


async def main(tr):
    ev = asyncio.Event()

    async def waiter():
        try:
            await ev.wait()
            tr.log("waiter woke")
        except asyncio.CancelledError:
            tr.log("waiter cancelled")
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    ev.set()
    w.cancel()
    try:
        await w
    except asyncio.CancelledError:
        tr.log("main: waiter ended cancelled", w.cancelled())


if __name__ == "__main__":
    harness.main(main)
