# A task running a TaskGroup is cancelled from outside: the children are
# cancelled, the group waits for them, and CancelledError (not a group)
# comes out; a child that finishes normally keeps its result.
import asyncio
import harness


async def main(tr):
    async def child(name, d):
        try:
            await asyncio.sleep(d)
            tr.log(name, "finishes")
            return name
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            await asyncio.sleep(0.01)
            tr.log(name, "cleaned up")
            raise

    kids = {}

    async def runner():
        try:
            async with asyncio.TaskGroup() as tg:
                kids["quick"] = tg.create_task(child("quick", 0.01))
                kids["slow"] = tg.create_task(child("slow", 1))
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("runner: cancelled out of the group")
            raise

    t = asyncio.create_task(runner())
    await asyncio.sleep(0.02)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        tr.log("main: runner cancelled", t.cancelled())
    tr.log("quick", kids["quick"].result(), "slow cancelled", kids["slow"].cancelled())


if __name__ == "__main__":
    harness.main(main)
