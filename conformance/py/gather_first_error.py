# gather without return_exceptions: the first error reaches the awaiter at
# once while the siblings keep running (they are not cancelled); results
# otherwise come in argument order, whatever the completion order.
import asyncio
import harness


async def main(tr):
    async def child(name, delay, fail=False):
        await asyncio.sleep(delay)
        if fail:
            tr.log(name, "fails")
            raise harness.Err(name)
        tr.log(name, "finishes")
        return name

    r = await asyncio.gather(child("a", 0.02), child("b", 0.01), child("c", 0.03))
    tr.log("results", r)
    slow = asyncio.create_task(child("slow", 0.03))
    try:
        await asyncio.gather(child("x", 0.01), child("bad", 0.02, fail=True), slow)
    except harness.Err as e:
        tr.log("gather raised", e, "slow done", slow.done())
    await slow
    tr.log("slow finished later, cancelled", slow.cancelled())


if __name__ == "__main__":
    harness.main(main)
