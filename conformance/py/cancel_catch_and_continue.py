# Cancellation is edge-triggered: after catching it the task waits again
# normally; a second cancel is delivered at the next wait.
import asyncio
import harness


async def main(tr):
    async def worker():
        n = 0
        for i in range(3):
            try:
                await asyncio.sleep(0.02)
                tr.log("slept", i)
            except asyncio.CancelledError as e:
                n += 1
                tr.log("caught", i, e)
        return n

    t = asyncio.create_task(worker())
    await asyncio.sleep(0.01)
    t.cancel("first")
    await asyncio.sleep(0.01)
    t.cancel("second")
    tr.log("result", await t, "cancelling", t.cancelling())


if __name__ == "__main__":
    harness.main(main)
