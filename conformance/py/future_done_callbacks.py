# Done callbacks run scheduled (never inside set_result), in registration
# order; one added after completion is scheduled at once; awaiting tasks are
# woken in the order they started waiting, interleaved with the callbacks.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter(name):
        v = await fut
        tr.log("waiter", name, "got", v)

    fut.add_done_callback(lambda f: tr.log("cb1", f.result()))
    w1 = asyncio.create_task(waiter("w1"))
    await asyncio.sleep(0)
    fut.add_done_callback(lambda f: tr.log("cb2", f.result()))
    w2 = asyncio.create_task(waiter("w2"))
    await asyncio.sleep(0)
    fut.set_result(7)
    tr.log("after set_result")
    fut.add_done_callback(lambda f: tr.log("cb3 added after done"))
    await w1
    await w2
    tr.log("main done")


if __name__ == "__main__":
    harness.main(main)
