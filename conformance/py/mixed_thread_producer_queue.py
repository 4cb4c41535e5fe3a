# A thread feeds the loop's queue; three consumer tasks take the items.
# Python's asyncio.Queue is not thread-safe, so the thread goes through the
# loop (run_coroutine_threadsafe(q.put(item), loop).result(), which also
# waits while the bounded queue is full); duet's producer goroutine calls
# q.Put directly.
#
# Paced round: the producer puts an item only once the previous one was
# acknowledged. A consumer acknowledges with loop.call_soon, which runs once
# it is back waiting in get(): on duet the producer's put does not go
# through the loop and could otherwise beat the consumer back to the queue.
# The consumers, waiting in FIFO order, then take the items round robin.
#
# Flood round: the producer puts items as fast as the bounded queue lets
# it, then one sentinel per consumer. Who gets which item is up to timing,
# so the trace shows what is not: every item taken exactly once, each
# consumer's items in increasing (FIFO) order, each consumer stopped by one
# sentinel.
import asyncio
import queue
import threading
import harness

PACED = 6
FLOOD = 40
NAMES = ("c1", "c2", "c3")
REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    q = asyncio.Queue(maxsize=2)
    acks = queue.Queue()
    flood = {n: [] for n in NAMES}
    stops = {n: 0 for n in NAMES}

    async def consumer(name):
        while True:
            item = await q.get()
            if item is None:
                stops[name] += 1
                return
            if isinstance(item, str):
                tr.log(name, "got", item)
                loop.call_soon(acks.put_nowait, name)
            else:
                flood[name].append(item)

    def put(item):
        asyncio.run_coroutine_threadsafe(q.put(item), loop).result()

    def producer():
        for i in range(PACED):
            item = f"p{i}"
            tr.log("producer puts", item)
            put(item)
            acks.get()
        for i in range(FLOOD):
            put(i)
        for _ in NAMES:
            put(None)

    cs = [asyncio.create_task(consumer(n)) for n in NAMES]
    await asyncio.sleep(0)
    t = threading.Thread(target=producer, name="producer")
    t.start()
    await asyncio.gather(*cs)
    await asyncio.to_thread(t.join)
    got = sorted(v for n in NAMES for v in flood[n])
    tr.log("flood: every item once", got == list(range(FLOOD)))
    tr.log("flood: each consumer's items increasing",
           all(flood[n] == sorted(flood[n]) for n in NAMES))
    tr.log("sentinels per consumer", [stops[n] for n in NAMES])
    tr.log("queue empty", q.empty(), "acks left", acks.qsize())


if __name__ == "__main__":
    harness.main(main)
