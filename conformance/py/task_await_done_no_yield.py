# Awaiting an already completed future or finished task returns at once
# without yielding to the loop: the other ready task only runs at the first
# real suspension.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    done.set_result("x")

    async def other():
        tr.log("other runs")

    o = asyncio.create_task(other())
    v = await done
    tr.log("awaited done future", v, o.done())
    v = await done
    tr.log("again", v, o.done())
    await asyncio.sleep(0)
    tr.log("after sleep0", o.done())
    await o
    tr.log("awaited finished task", o.done())


if __name__ == "__main__":
    harness.main(main)
