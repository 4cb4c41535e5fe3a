# asyncio.run cancels the tasks left when main returns and waits for them;
# a task started during that cleanup is not among them: it is neither
# cancelled nor awaited (the loop closes under it).
import asyncio
import harness


async def main(tr):
    async def late():
        tr.log("late starts")
        try:
            await asyncio.sleep(1)
            tr.log("late finishes")
        except asyncio.CancelledError:
            tr.log("late cancelled")
            raise

    async def bg():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            tr.log("bg cancelled, starts late")
            asyncio.create_task(late())
            await asyncio.sleep(0.01)
            tr.log("bg cleanup done")
            raise

    asyncio.create_task(bg())
    await asyncio.sleep(0.01)
    tr.log("main returns")


if __name__ == "__main__":
    harness.main(main)
