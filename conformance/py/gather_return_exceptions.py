# gather(return_exceptions=True): errors, and a child's cancellation, come
# back as results in argument order; the gather itself succeeds.
import asyncio
import harness


async def main(tr):
    async def ok(v, d):
        await asyncio.sleep(d)
        return v

    async def bad(d):
        await asyncio.sleep(d)
        raise harness.Err("bad")

    victim = asyncio.create_task(ok("never", 1))
    asyncio.get_running_loop().call_later(0.01, victim.cancel)
    r = await asyncio.gather(ok(1, 0.02), bad(0.01), victim, ok(3, 0),
                             return_exceptions=True)
    tr.log("results", r)


if __name__ == "__main__":
    harness.main(main)
