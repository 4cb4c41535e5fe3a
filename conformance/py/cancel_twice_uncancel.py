# cancel() twice counts twice but delivers once; uncancel() counts down; a
# task that swallows the cancellation finishes normally.
import asyncio
import harness


async def main(tr):
    async def victim():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError as e:
            me = asyncio.current_task()
            tr.log("caught", e, "cancelling", me.cancelling())
            tr.log("uncancel ->", me.uncancel())
            tr.log("uncancel ->", me.uncancel())
            tr.log("uncancel ->", me.uncancel())
        await asyncio.sleep(0.01)
        tr.log("slept after catching")
        return "ok"

    t = asyncio.create_task(victim())
    await asyncio.sleep(0)
    tr.log("cancel", t.cancel("one"), "cancel", t.cancel("two"), "cancelling", t.cancelling())
    v = await t
    tr.log("result", v, "cancelled", t.cancelled())


if __name__ == "__main__":
    harness.main(main)
