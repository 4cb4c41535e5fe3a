# A timeout whose deadline already passed cancels at the next suspension:
# code before it runs; awaiting a done future is no suspension.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    done.set_result(1)
    try:
        async with asyncio.timeout_at(loop.time() - 1):
            tr.log("body starts")
            await done
            tr.log("after done future")
            await asyncio.sleep(0)
            tr.log("not reached")
    except TimeoutError:
        tr.log("timeout")
    try:
        async with asyncio.timeout(0):
            await asyncio.sleep(0.01)
    except TimeoutError:
        tr.log("timeout(0) too")


if __name__ == "__main__":
    harness.main(main)
