# A task cancelled before its first step never runs its body; cancel() of a
# finished task reports false.
import asyncio
import harness


async def main(tr):
    async def body():
        tr.log("body runs")
        return 1

    t = asyncio.create_task(body())
    tr.log("cancel", t.cancel("early"))
    try:
        await t
    except BaseException as e:
        tr.log("await", e, t.cancelled())
    u = asyncio.create_task(body())
    await u
    tr.log("cancel finished", u.cancel())


if __name__ == "__main__":
    harness.main(main)
