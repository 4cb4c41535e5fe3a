# A party whose round was released but which is cancelled before it runs
# gets the cancellation (asyncio); the others pass.
import asyncio
import harness


async def main(tr):
    b = asyncio.Barrier(3)

    async def party(name):
        try:
            i = await b.wait()
            tr.log(name, "passes", i)
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    a = asyncio.create_task(party("a"))
    c = asyncio.create_task(party("c"))
    await asyncio.sleep(0.01)
    d = asyncio.create_task(party("d"))
    await asyncio.sleep(0)  # d arrives last and releases the round
    a.cancel()
    for t in (a, c, d):
        try:
            await t
        except asyncio.CancelledError:
            tr.log("a ended cancelled")
    tr.log("broken", b.broken, "waiting", b.n_waiting)


if __name__ == "__main__":
    harness.main(main)
