# A task cancelled while it runs (by a task it just spawned and awaits) that
# then returns a value without waiting again ends cancelled: asyncio's
# __step sees _must_cancel when the coroutine stops. The awaiting task's
# cancel passes to the task it awaits, which ends cancelled too; a task
# that returns an error instead ends with its error.
import asyncio
import harness


async def main(tr):
    outer = None

    async def inner():
        tr.log("inner cancels outer", outer.cancel("meanwhile"))
        return 1

    async def outer_fn():
        t = asyncio.create_task(inner())
        try:
            return await t
        finally:
            tr.log("inner", harness.outcome(t))

    outer = asyncio.create_task(outer_fn())
    try:
        await outer
    except BaseException as e:
        tr.log("outer raised", e)
    tr.log("outer cancelled", outer.cancelled())

    async def returns_error():
        asyncio.current_task().cancel("late")
        raise harness.Err("own")

    t = asyncio.create_task(returns_error())
    try:
        await t
    except BaseException as e:
        tr.log("returns_error raised", e)

    async def returns_value():
        asyncio.current_task().cancel("late")
        return 2

    t = asyncio.create_task(returns_value())
    try:
        await t
    except BaseException as e:
        tr.log("returns_value raised", e, t.cancelled())


if __name__ == "__main__":
    harness.main(main)
