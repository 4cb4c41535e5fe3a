# The outer task's cancel goes to the task it awaits; that one swallows it
# and returns a value, so the outer task receives the value, not a
# cancellation (its cancelling() count still says 1).
import asyncio
import harness


async def main(tr):
    async def inner():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            tr.log("inner swallows")
        return 42

    async def outer():
        v = await asyncio.create_task(inner())
        me = asyncio.current_task()
        tr.log("outer got", v, "cancelling", me.cancelling())
        await asyncio.sleep(0.01)
        tr.log("outer slept")
        return v + 1

    t = asyncio.create_task(outer())
    await asyncio.sleep(0.01)
    t.cancel()
    v = await t
    tr.log("main got", v, t.cancelled())


if __name__ == "__main__":
    harness.main(main)
