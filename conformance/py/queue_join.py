# Queue.join waits until task_done was called for every item put; one
# task_done too many is an error.
import asyncio
import harness


async def main(tr):
    q = asyncio.Queue()

    async def worker(name):
        while True:
            v = await q.get()
            await asyncio.sleep(v)
            tr.log(name, "processed", v)
            q.task_done()

    for v in (0.01, 0.03, 0.02, 0.01):
        q.put_nowait(v)
    ws = [asyncio.create_task(worker(n)) for n in ("w1", "w2")]
    await q.join()
    tr.log("joined, unfinished items gone, qsize", q.qsize())
    await q.join()
    tr.log("second join returns at once")
    for w in ws:
        w.cancel()
    try:
        q.task_done()
    except ValueError:
        tr.log("task_done too many: error")


if __name__ == "__main__":
    harness.main(main)
