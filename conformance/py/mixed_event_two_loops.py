# A setter thread wakes tasks on two event loops and a waiting thread.
# Python: an asyncio.Event belongs to one loop, so each loop has its own,
# the second loop runs asyncio.run in a thread of its own, the setter
# reaches each loop with call_soon_threadsafe(ev.set), and the waiting
# thread needs a threading.Event besides. duet: one duet.Event, waited on by
# the tasks of both loops and by the thread, set by the setter goroutine
# directly.
#
# Each loop's waiters wake in the order they waited; b2, cancelled on the
# second loop before the set, is not woken. The wake-ups are collected and
# logged once everything has finished, loop by loop.
import asyncio
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop1 = asyncio.get_running_loop()
    ev1 = asyncio.Event()
    tev = threading.Event()
    ready1, ready2 = threading.Event(), threading.Event()
    box = {}
    woke = {"L1": [], "L2": [], "thread": []}

    async def waiter(lname, name, ev):
        try:
            await ev.wait()
        except asyncio.CancelledError as e:
            woke[lname].append(f"{name}:{harness.fmt(e)}")
            raise
        woke[lname].append(name)

    async def main2():
        box["loop"] = asyncio.get_running_loop()
        box["ev"] = ev2 = asyncio.Event()
        ws = [asyncio.create_task(waiter("L2", n, ev2)) for n in ("b1", "b2", "b3")]
        await asyncio.sleep(0)
        ws[1].cancel()
        await asyncio.sleep(0)
        ready2.set()
        res = await asyncio.gather(*ws, return_exceptions=True)
        box["results"] = [harness.fmt(r) for r in res]
        box["set"] = ev2.is_set()

    def waiting_thread():
        tev.wait()
        woke["thread"].append("th")

    def setter():
        ready1.wait()
        ready2.wait()
        loop1.call_soon_threadsafe(ev1.set)
        box["loop"].call_soon_threadsafe(box["ev"].set)
        tev.set()

    ws = [asyncio.create_task(waiter("L1", n, ev1)) for n in ("a1", "a2", "a3")]
    await asyncio.sleep(0)
    ths = [threading.Thread(target=lambda: asyncio.run(main2()), name="loop2"),
           threading.Thread(target=waiting_thread, name="waiter"),
           threading.Thread(target=setter, name="setter")]
    for th in ths:
        th.start()
    ready1.set()
    await asyncio.gather(*ws)
    for th in ths:
        await asyncio.to_thread(th.join)
    tr.log("L1 woke", woke["L1"])
    tr.log("L2 woke", woke["L2"], "results", box["results"])
    tr.log("thread woke", woke["thread"])
    tr.log("set", ev1.is_set(), box["set"], tev.is_set())


if __name__ == "__main__":
    harness.main(main)
