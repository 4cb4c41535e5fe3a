# An asyncio Barrier waiter that is cancelled withdraws: the barrier is not
# broken and the round still needs as many parties.
import asyncio
import harness


async def main(tr):
    b = asyncio.Barrier(2)

    async def party(name):
        try:
            i = await b.wait()
            tr.log(name, "passes", i)
        except asyncio.CancelledError:
            tr.log(name, "cancelled, waiting", b.n_waiting, "broken", b.broken)
            raise

    a = asyncio.create_task(party("a"))
    await asyncio.sleep(0.01)
    a.cancel()
    try:
        await a
    except asyncio.CancelledError:
        pass
    tr.log("after cancel, waiting", b.n_waiting, "broken", b.broken)
    c = asyncio.create_task(party("c"))
    await asyncio.sleep(0.01)
    tr.log("c alone, waiting", b.n_waiting)
    await party("d")
    await c


if __name__ == "__main__":
    harness.main(main)
