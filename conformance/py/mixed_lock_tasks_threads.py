# One lock contended by two loop tasks and two threads, each entering the
# critical section ROUNDS times. Python: a threading.Lock, which a task
# acquires through asyncio.to_thread(lock.acquire), so that the loop runs
# on while it waits, and releases on the loop thread; duet: one duet.Lock,
# acquired by the tasks (which suspend) and by the threads (which block)
# directly.
#
# Inside, a holder reads the shared counter, lets the others run (a task
# awaits sleep(0), a thread yields its processor) and writes it back plus
# one: sections that overlapped would lose updates and count as overlaps.
# Who gets the lock when depends on thread scheduling (threading.Lock is not
# fair; duet.Lock is FIFO), so the trace shows the totals.
import asyncio
import threading
import time
import harness

ROUNDS = 5
REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    lock = threading.Lock()
    st = {"counter": 0, "inside": 0, "overlaps": 0}
    sections = {}

    def enter(name):
        st["inside"] += 1
        if st["inside"] > 1:
            st["overlaps"] += 1
        sections[name] = sections.get(name, 0) + 1
        return st["counter"]

    def leave(v):
        st["counter"] = v + 1
        st["inside"] -= 1

    async def task_user(name):
        for _ in range(ROUNDS):
            await asyncio.to_thread(lock.acquire)
            try:
                v = enter(name)
                await asyncio.sleep(0)
                leave(v)
            finally:
                lock.release()

    def thread_user(name):
        for _ in range(ROUNDS):
            with lock:
                v = enter(name)
                time.sleep(0)
                leave(v)

    ths = [threading.Thread(target=thread_user, args=(n,), name=n)
           for n in ("th1", "th2")]
    ts = [asyncio.create_task(task_user(n)) for n in ("t1", "t2")]
    for th in ths:
        th.start()
    await asyncio.gather(*ts)
    for th in ths:
        await asyncio.to_thread(th.join)
    tr.log("counter", st["counter"], "overlaps", st["overlaps"])
    tr.log("sections", [sections[n] for n in ("t1", "t2", "th1", "th2")])
    tr.log("locked", lock.locked())


if __name__ == "__main__":
    harness.main(main)
