# wait(FIRST_EXCEPTION) does not count a cancelled awaitable as an
# exception: it keeps waiting for a real failure (or for all).
import asyncio
import harness


async def main(tr):
    async def child(d, fail=False):
        await asyncio.sleep(d)
        if fail:
            raise harness.Err("late")
        return d

    def names(s):
        return sorted(t.get_name() for t in s)

    ts = [asyncio.create_task(child(1), name="victim"),
          asyncio.create_task(child(0.02, fail=True), name="failing"),
          asyncio.create_task(child(0.05), name="slow")]
    asyncio.get_running_loop().call_later(0.01, ts[0].cancel)
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    tr.log("done", names(done), "pending", names(pending))
    await asyncio.wait(ts)


if __name__ == "__main__":
    harness.main(main)
