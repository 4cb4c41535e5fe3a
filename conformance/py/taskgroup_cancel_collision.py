# gh-116720 (3.13): a child fails and the task running the TaskGroup is
# cancelled from outside in the same iteration. The group raises the
# child's error in an ExceptionGroup, and the outside cancellation is not
# lost: the task is cancelled again, so its next wait raises. The trace is
# 3.13's.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    async def failing():
        await asyncio.sleep(0.01)
        tr.log("child fails")
        raise harness.Err("child")

    async def runner():
        me = asyncio.current_task()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(failing())
                await asyncio.sleep(1)
        except BaseExceptionGroup as eg:
            tr.log("runner: group raised", eg, "cancelling", me.cancelling())
        try:
            await asyncio.sleep(0.01)
            tr.log("runner: not cancelled")
        except asyncio.CancelledError:
            tr.log("runner: outside cancellation delivered")
            raise

    t = asyncio.create_task(runner())
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the child has armed its 10 ms timer: ours fires after it
    asyncio.get_running_loop().call_later(0.01, t.cancel)
    try:
        await t
    except asyncio.CancelledError:
        tr.log("main: runner cancelled", t.cancelled())


if __name__ == "__main__":
    harness.main(main)
