# A task that awaits itself is refused at once, at that await (CPython:
# RuntimeError "Task cannot await on itself"; duet: ErrInvalidState); the
# task may catch it and go on, and its awaiter gets what it returns.
import asyncio
import harness


async def main(tr):
    t = None

    async def body():
        await asyncio.sleep(0.01)
        tr.log("body awaits itself")
        try:
            await t
        except RuntimeError:
            tr.log("body refused")
        await asyncio.sleep(0.01)
        tr.log("body goes on")
        return 7

    t = asyncio.create_task(body())
    tr.log("main got", await t, "done", t.done())


if __name__ == "__main__":
    harness.main(main)
