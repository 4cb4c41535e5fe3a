# sleep(0) yields exactly once: three tasks round-robin step by step.
import asyncio
import harness


async def main(tr):
    async def worker(name, n):
        for i in range(n):
            tr.log(name, i)
            await asyncio.sleep(0)
        tr.log(name, "done")

    ts = [asyncio.create_task(worker(n, k)) for n, k in (("a", 3), ("b", 1), ("c", 2))]
    for t in ts:
        await t
    tr.log("all done")


if __name__ == "__main__":
    harness.main(main)
