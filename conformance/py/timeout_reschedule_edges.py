# Timeout.reschedule to a deadline already passed expires at the next
# suspension; rescheduling an expired timeout is an error.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(1) as cm:
            await asyncio.sleep(0.01)
            cm.reschedule(loop.time() - 1)
            tr.log("rescheduled into the past, still running")
            await asyncio.sleep(0.01)
            tr.log("not reached")
    except TimeoutError:
        tr.log("timeout, expired", cm.expired())
    try:
        cm.reschedule(loop.time() + 1)
        tr.log("rescheduled an expired timeout")
    except RuntimeError:
        tr.log("reschedule after expiry: error")


if __name__ == "__main__":
    harness.main(main)
