# The end of asyncio.run with work in flight: main returns while a task
# awaits to_thread work. The runner cancels the leftover task, which stops
# awaiting at once (to_thread abandons running work; duet: aio.ToThread
# with aio.AbandonOnCancel()) and tells the work to stop; then it waits for
# the loop's default executor, so the work's last line is in the trace
# before asyncio.run (aio.Run) returns. The work takes a little real time
# after the stop, so that a loop that did not wait would end first.
import asyncio
import threading
import time
import harness

REAL_ROUND_MS = 100  # thread hand-offs take real time (see harness.py)


async def main(tr):
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    stop = threading.Event()

    def work():
        loop.call_soon_threadsafe(started.set)
        stop.wait()
        time.sleep(0.01)
        tr.log("work: stopped; returns")
        return 1

    async def leftover():
        try:
            await asyncio.to_thread(work)
        except asyncio.CancelledError as e:
            tr.log("leftover: sees", e, "; tells the work to stop")
            stop.set()
            raise

    asyncio.create_task(leftover())
    await started.wait()
    tr.log("main: returns with the work in flight")


if __name__ == "__main__":
    harness.main(main)
