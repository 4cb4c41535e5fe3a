# A timeout around a TaskGroup: at expiry the body is cancelled, the group
# cancels its children and waits for them, and the timeout turns the
# cancellation into TimeoutError (not an ExceptionGroup).
import asyncio
import harness


async def main(tr):
    async def child(name):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            await asyncio.sleep(0.01)
            tr.log(name, "cleaned up")
            raise

    try:
        async with asyncio.timeout(0.02):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(child("only"))
                tr.log("body waits at the end of the group")
    except TimeoutError:
        tr.log("timeout")
    tr.log("cancelling", asyncio.current_task().cancelling())


if __name__ == "__main__":
    harness.main(main)
