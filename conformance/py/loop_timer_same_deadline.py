# Timers due at the same instant run in scheduling order; a cancelled
# handle never runs. (CPython orders exact ties only on a real clock, where
# they are never exact: see harness._SeqTimerHandle.)
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    now = loop.time()

    def cb(name):
        tr.log("cb", name)

    loop.call_at(now + 0.02, cb, "t1")
    h = loop.call_at(now + 0.02, cb, "t2")
    loop.call_later(0.02, cb, "t3")
    loop.call_at(now + 0.01, cb, "early")
    h.cancel()
    tr.log("cancelled", h.cancelled())
    await asyncio.sleep(0.02)
    tr.log("main woke")
    await asyncio.sleep(0)
    tr.log("main after sleep0")


if __name__ == "__main__":
    harness.main(main)
