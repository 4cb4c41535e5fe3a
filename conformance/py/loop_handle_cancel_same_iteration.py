# A callback cancelled by an earlier callback of the same iteration does
# not run, whether it is a call_soon or a timer that is already due.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    hs = {}
    loop.call_soon(lambda: (tr.log("first cancels second"), hs["second"].cancel()))
    hs["second"] = loop.call_soon(tr.log, "second runs")
    loop.call_later(0.01, lambda: (tr.log("t1 cancels t2"), hs["t2"].cancel()))
    hs["t2"] = loop.call_later(0.01, tr.log, "t2 runs")
    loop.call_later(0.01, tr.log, "t3 runs")
    loop.call_later(-1, tr.log, "negative delay runs")
    await asyncio.sleep(0.02)
    tr.log("cancelled", hs["second"].cancelled(), hs["t2"].cancelled())


if __name__ == "__main__":
    harness.main(main)
