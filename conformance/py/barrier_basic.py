# Barrier(3): the first two arrivals wait, the third releases all; wait()
# returns the arrival index; the barrier then serves the next round.
import asyncio
import harness


async def main(tr):
    b = asyncio.Barrier(3)

    async def party(name, delay):
        await asyncio.sleep(delay)
        tr.log(name, "arrives, waiting", b.n_waiting)
        i = await b.wait()
        tr.log(name, "passes with index", i)
        return i

    for rnd in range(2):
        ts = [asyncio.create_task(party(f"{n}{rnd}", d)) for n, d in
              (("a", 0.02), ("b", 0.01), ("c", 0.03))]
        got = [await t for t in ts]
        tr.log("round", rnd, got, "broken", b.broken, "waiting", b.n_waiting)


if __name__ == "__main__":
    harness.main(main)
