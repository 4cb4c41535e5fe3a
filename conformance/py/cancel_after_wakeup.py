# A task whose awaited future completed but which has not resumed yet: a
# cancel now cannot cancel the future, so it is delivered instead of the
# result when the task resumes. Same for a sleep whose timer already fired.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        try:
            v = await fut
            tr.log("waiter got", v)
        except asyncio.CancelledError as e:
            tr.log("waiter cancelled", e)
            raise

    async def sleeper():
        try:
            await asyncio.sleep(0.01)
            tr.log("sleeper woke")
        except asyncio.CancelledError as e:
            tr.log("sleeper cancelled", e)
            raise

    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    fut.set_result(1)
    tr.log("cancel waiter", w.cancel("late"))
    s = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    loop.call_later(0.01, lambda: tr.log("cancel sleeper", s.cancel("timer")))
    for t in (w, s):
        try:
            await t
        except BaseException as e:
            tr.log("main", e)


if __name__ == "__main__":
    harness.main(main)
