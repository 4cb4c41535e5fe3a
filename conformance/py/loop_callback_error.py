# A callback that fails goes to the loop's exception handler; the loop and
# the other callbacks of the iteration go on.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    seen = []
    loop.set_exception_handler(lambda l, ctx: seen.append("handler"))

    def bad():
        tr.log("bad runs")
        raise harness.Err("cb")

    loop.call_soon(bad)
    loop.call_soon(tr.log, "next callback runs")
    await asyncio.sleep(0)
    tr.log("main goes on, handler calls", len(seen))


if __name__ == "__main__":
    harness.main(main)
