# wait_for: on expiry the inner awaitable is cancelled and awaited, then
# TimeoutError; an inner task that finishes in time gives its value; a
# timeout of 0 on an unfinished task cancels it at once; on a done future it
# returns the result.
import asyncio
import harness


async def main(tr):
    async def inner(d, v):
        try:
            await asyncio.sleep(d)
            return v
        except asyncio.CancelledError:
            tr.log("inner", v, "cancelled")
            await asyncio.sleep(0.01)
            tr.log("inner", v, "cleanup done")
            raise

    try:
        await asyncio.wait_for(inner(1, "slow"), 0.02)
    except TimeoutError as e:
        tr.log("wait_for raised", e, "cause", e.__cause__)
    tr.log("got", await asyncio.wait_for(inner(0.01, "fast"), 0.02))
    t = asyncio.create_task(inner(1, "zero"))
    try:
        await asyncio.wait_for(t, 0)
    except TimeoutError as e:
        tr.log("timeout 0 raised", e, "task cancelled", t.cancelled())
    f = asyncio.get_running_loop().create_future()
    f.set_result("ready")
    tr.log("timeout 0 on done future", await asyncio.wait_for(f, 0))
    tr.log("no timeout", await asyncio.wait_for(inner(0.01, "none"), None))


if __name__ == "__main__":
    harness.main(main)
