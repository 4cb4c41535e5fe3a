# One iteration runs call_soon callbacks first, then due timers by deadline:
# call_at(past) before call_later(0), even when scheduled after it.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    now = loop.time()

    def cb(name):
        tr.log("cb", name)

    loop.call_later(0, cb, "later0")
    loop.call_at(now - 1, cb, "at_past")
    loop.call_soon(cb, "soon_a")
    loop.call_later(0.02, cb, "later20")
    loop.call_at(now + 0.01, cb, "at10")
    loop.call_soon(cb, "soon_b")
    tr.log("scheduled")
    await asyncio.sleep(0.05)
    tr.log("main done")


if __name__ == "__main__":
    harness.main(main)
