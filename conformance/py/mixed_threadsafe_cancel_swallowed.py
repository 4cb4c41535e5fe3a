# A thread cancels a coroutine it submitted to the loop, and the coroutine
# swallows the cancellation and returns a value. Python's
# run_coroutine_threadsafe hands the thread a concurrent future of its own:
# cancel() cancels that future at once (it is PENDING: nothing ever marks it
# running) and asks the loop to cancel the task, so the thread gets
# CancelledError whatever the task does, and the task's value is lost.
# duet has one future: the thread awaits the task itself and gets what the
# task returned. A known divergence (see knownDiffs).
import asyncio
import threading
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    started, ended = threading.Event(), threading.Event()
    box = {}

    async def stubborn():
        box["task"] = asyncio.current_task()
        started.set()
        try:
            await asyncio.Event().wait()  # until cancelled
        except asyncio.CancelledError:
            return "swallowed"
        finally:
            ended.set()

    def client():
        f = asyncio.run_coroutine_threadsafe(stubborn(), loop)
        started.wait()
        tr.log("client: cancel ->", f.cancel())
        ended.wait()
        tr.log("client: result ->", harness.outcome(f))

    th = threading.Thread(target=client, name="client")
    th.start()
    await asyncio.to_thread(th.join)
    t = box["task"]
    await asyncio.wait([t])
    tr.log("main: the task itself ->", harness.outcome(t), "cancelled", t.cancelled())


if __name__ == "__main__":
    harness.main(main)
