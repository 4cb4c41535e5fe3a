# Barrier.abort breaks the barrier: waiters and later arrivals get
# BrokenBarrierError; reset() makes it usable again.
import asyncio
import harness


async def main(tr):
    b = asyncio.Barrier(3)

    async def party(name):
        try:
            i = await b.wait()
            tr.log(name, "passes", i)
        except asyncio.BrokenBarrierError as e:
            tr.log(name, "got", e)

    ts = [asyncio.create_task(party(n)) for n in "ab"]
    await asyncio.sleep(0.01)
    tr.log("waiting", b.n_waiting)
    await b.abort()
    tr.log("aborted, broken", b.broken)
    for t in ts:
        await t
    await party("late")
    await b.reset()
    tr.log("reset, broken", b.broken)
    ts = [asyncio.create_task(party(n)) for n in "xyz"]
    for t in ts:
        await t


if __name__ == "__main__":
    harness.main(main)
