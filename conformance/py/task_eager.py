# Eager tasks (3.12 eager_task_factory; duet: aio.Eager()) run inside
# create_task until their first suspension; one that never suspends is
# done when create_task returns. The trace is 3.12's.
import asyncio
import harness

REQUIRES = (3, 12)


async def main(tr):
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)

    async def quick():
        tr.log("quick runs")
        return "q"

    async def slow():
        tr.log("slow starts")
        await asyncio.sleep(0)
        tr.log("slow resumes")
        return "s"

    q = asyncio.create_task(quick())
    tr.log("quick created, done", q.done())
    s = asyncio.create_task(slow())
    tr.log("slow created, done", s.done())
    tr.log("results", await q, await s)


if __name__ == "__main__":
    harness.main(main)
