# Cancelling a plain future makes the task awaiting it raise; the task ends
# cancelled if it lets the error escape, and finishes normally if it
# catches it.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    f1 = loop.create_future()
    f2 = loop.create_future()

    async def passes():
        await f1

    async def catches():
        try:
            await f2
        except asyncio.CancelledError as e:
            tr.log("catches caught", e)
        return "fine"

    a = asyncio.create_task(passes())
    b = asyncio.create_task(catches())
    await asyncio.sleep(0)
    tr.log("cancel f1", f1.cancel("f1"), "cancel f2", f2.cancel())
    try:
        await a
    except BaseException as e:
        tr.log("a", e, a.cancelled())
    tr.log("b", await b, b.cancelled())


if __name__ == "__main__":
    harness.main(main)
