# A task waiting in Queue.join can be cancelled; the queue's count of
# unfinished items is unchanged and a later join still works.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue()
    q.put_nowait(1)

    async def joiner(name):
        try:
            await q.join()
            tr.log(name, "joined")
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise

    j1 = asyncio.create_task(joiner("j1"))
    j2 = asyncio.create_task(joiner("j2"))
    await asyncio.sleep(0.01)
    j1.cancel()
    try:
        await j1
    except asyncio.CancelledError:
        pass
    q.get_nowait()
    q.task_done()
    await j2
    tr.log("j2 done")


if __name__ == "__main__":
    harness.main(main)
