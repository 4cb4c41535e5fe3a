# A getter woken by a put does not own the item: get_nowait by someone else
# before it runs takes it, and the woken getter waits again.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue()

    async def getter():
        v = await q.get()
        tr.log("getter got", v)

    g = asyncio.create_task(getter())
    await asyncio.sleep(0)
    q.put_nowait("first")
    tr.log("main steals", q.get_nowait())
    await asyncio.sleep(0.01)
    tr.log("getter done", g.done())
    q.put_nowait("second")
    await g


if __name__ == "__main__":
    harness.main(main)
