# A task that cancels itself keeps running until its first real suspension:
# awaiting a done future does not deliver the cancellation, sleep(0) does.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    done.set_result(1)

    async def selfish():
        me = asyncio.current_task()
        tr.log("cancel self", me.cancel("me"), me.cancelling())
        tr.log("still running")
        v = await done
        tr.log("awaited done future", v)
        try:
            await asyncio.sleep(0)
            tr.log("not reached")
        except asyncio.CancelledError as e:
            tr.log("caught at sleep0", e)
            raise
        return 0

    t = asyncio.create_task(selfish())
    try:
        await t
    except BaseException as e:
        tr.log("main", e, t.cancelled())


if __name__ == "__main__":
    harness.main(main)
