# Tasks start in creation order in a later iteration, interleaved FIFO with
# call_soon callbacks scheduled around them; the creator keeps running until
# it suspends.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()

    async def child(name):
        tr.log("start", name)
        await asyncio.sleep(0)
        tr.log("resume", name)
        return name

    loop.call_soon(tr.log, "cb before")
    a = asyncio.create_task(child("a"))
    loop.call_soon(tr.log, "cb between")
    b = asyncio.create_task(child("b"))
    c = asyncio.create_task(child("c"))
    tr.log("created", a.done(), b.done(), c.done())
    r = await a
    tr.log("main got", r)
    await b
    await c
    tr.log("main end")


if __name__ == "__main__":
    harness.main(main)
