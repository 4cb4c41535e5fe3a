# A released round drains before the next one fills: a party that calls
# wait() again while others of its round have not yet left wait() waits
# for them (asyncio's DRAINING state), n_waiting reads 0 meanwhile, and the
# next round's indexes follow the order in which parties get in.
import asyncio
import harness


async def main(tr):
    b = asyncio.Barrier(3)

    async def party(name, rounds):
        for rnd in range(rounds):
            tr.log(name, "arrives for round", rnd, "waiting", b.n_waiting)
            i = await b.wait()
            tr.log(name, "passes round", rnd, "index", i, "waiting", b.n_waiting)

    a = asyncio.create_task(party("a", 2))
    c = asyncio.create_task(party("c", 2))
    await asyncio.sleep(0.01)
    # main releases round 0 and re-enters at once, while a and c drain.
    await party("main", 2)
    for t in (a, c):
        await t
    tr.log("broken", b.broken, "waiting", b.n_waiting)


if __name__ == "__main__":
    harness.main(main)
