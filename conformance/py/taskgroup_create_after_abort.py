# A TaskGroup that is shutting down after a failure refuses new children,
# and so does a finished one.
import asyncio
import harness


async def main(tr):
    async def failing():
        await asyncio.sleep(0.01)
        raise harness.Err("child")

    async def never():
        tr.log("never runs")

    tg = asyncio.TaskGroup()
    try:
        async with tg:
            tg.create_task(failing())
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                c = never()
                try:
                    tg.create_task(c)
                    tr.log("aborting group accepted a child")
                except RuntimeError:
                    c.close()
                    tr.log("aborting group refuses a child")
                raise
    except BaseExceptionGroup as eg:
        tr.log("group raised", eg)
    c = never()
    try:
        tg.create_task(c)
        tr.log("finished group accepted a child")
    except RuntimeError:
        c.close()
        tr.log("finished group refuses a child")
    await asyncio.sleep(0.01)


if __name__ == "__main__":
    harness.main(main)
