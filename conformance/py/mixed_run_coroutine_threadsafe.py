# A thread runs coroutines on the loop and waits for their outcomes: a
# value, an error, and one it cancels once the coroutine has started.
# Python: asyncio.run_coroutine_threadsafe(coro, loop) and the returned
# concurrent future's result(); duet: aio.Spawn(loop.Context(), fn) from
# the goroutine, and duet.Await on the task, which blocks the goroutine.
# The coroutines tell the thread about themselves with a threading.Event
# (duet: a duet.Event set by the task, waited on by the thread).
import asyncio
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    started, ended = threading.Event(), threading.Event()
    seen = []

    async def add(a, b):
        await asyncio.sleep(0)
        return a + b

    async def fails():
        await asyncio.sleep(0)
        raise harness.Err("boom")

    async def slow():
        started.set()
        try:
            await asyncio.Event().wait()  # until cancelled
        except asyncio.CancelledError as e:
            seen.append(e)
            raise
        finally:
            ended.set()

    def client():
        f = asyncio.run_coroutine_threadsafe(add(1, 2), loop)
        tr.log("client: add ->", harness.outcome(f))
        f = asyncio.run_coroutine_threadsafe(fails(), loop)
        tr.log("client: fails ->", harness.outcome(f))
        f = asyncio.run_coroutine_threadsafe(slow(), loop)
        started.wait()
        tr.log("client: slow started; cancel ->", f.cancel())
        ended.wait()
        tr.log("client: slow ->", harness.outcome(f), "; the coroutine saw", seen)

    t = threading.Thread(target=client, name="client")
    t.start()
    await asyncio.to_thread(t.join)
    tr.log("main: client done")


if __name__ == "__main__":
    harness.main(main)
