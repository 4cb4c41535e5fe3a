# When a task finishes, its done callbacks and the tasks awaiting it are
# woken in registration order, all in the next iteration.
import asyncio
import harness


async def main(tr):
    async def work():
        tr.log("work runs")
        await asyncio.sleep(0.01)
        tr.log("work returns")
        return 5

    t = asyncio.create_task(work())
    t.add_done_callback(lambda f: tr.log("cb1", f.result()))

    async def awaiter(name):
        v = await t
        tr.log(name, "got", v)

    a = asyncio.create_task(awaiter("a"))
    await asyncio.sleep(0)
    t.add_done_callback(lambda f: tr.log("cb2", f.result()))
    v = await t
    tr.log("main got", v)
    await a


if __name__ == "__main__":
    harness.main(main)
