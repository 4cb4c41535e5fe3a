# A task's error reaches every awaiter, and result() repeats it.
import asyncio
import harness


async def main(tr):
    async def bad():
        await asyncio.sleep(0.01)
        raise harness.Err("bad")

    t = asyncio.create_task(bad())
    try:
        await t
    except BaseException as e:
        tr.log("await", e)
    try:
        await t
    except BaseException as e:
        tr.log("await again", e)
    tr.log("done", t.done(), "cancelled", t.cancelled(), "exception", t.exception())


if __name__ == "__main__":
    harness.main(main)
