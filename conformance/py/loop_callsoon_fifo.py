# call_soon callbacks run FIFO, after the current step, and callbacks
# scheduled by a running callback wait for the next iteration (after the
# ones already queued).
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()

    def cb(name, again=None):
        tr.log("cb", name)
        if again:
            loop.call_soon(cb, again)

    loop.call_soon(cb, "a", "a2")
    loop.call_soon(cb, "b", "b2")
    loop.call_soon(cb, "c")
    tr.log("scheduled")
    await asyncio.sleep(0)
    tr.log("main after sleep0")
    await asyncio.sleep(0)
    tr.log("main after second sleep0")


if __name__ == "__main__":
    harness.main(main)
