# Timeout.reschedule moves the deadline (earlier or later, or None for
# never); when() and expired() report the state; the TimeoutError is chained
# from the CancelledError.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        async with asyncio.timeout(0.05) as cm:
            tr.log("when", round((cm.when() - t0) * 1000), "expired", cm.expired())
            cm.reschedule(loop.time() + 0.01)
            tr.log("rescheduled to", round((cm.when() - t0) * 1000))
            await asyncio.sleep(1)
    except TimeoutError as e:
        tr.log("timeout, expired", cm.expired(), "cause", e.__cause__)
    async with asyncio.timeout(0.01) as cm:
        cm.reschedule(None)
        await asyncio.sleep(0.03)
        tr.log("disabled, expired", cm.expired(), "when", cm.when())
    async with asyncio.timeout(0.01) as cm:
        cm.reschedule(loop.time() + 0.05)
        await asyncio.sleep(0.03)
        tr.log("postponed, not expired", cm.expired())


if __name__ == "__main__":
    harness.main(main)
