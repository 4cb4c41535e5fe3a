# TaskGroup waits for every child, including children started by other
# children while the body is already waiting at the end of the block.
import asyncio
import harness


async def main(tr):
    async with asyncio.TaskGroup() as tg:
        async def child(name, d, spawn=None):
            await asyncio.sleep(d)
            if spawn:
                tg.create_task(child(spawn, 0.02))
            tr.log(name, "done")
            return name

        a = tg.create_task(child("a", 0.01, spawn="a-child"))
        b = tg.create_task(child("b", 0.02))
        tr.log("body ends")
    tr.log("group done", a.result(), b.result())


if __name__ == "__main__":
    harness.main(main)
