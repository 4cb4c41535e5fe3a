# Completion and timeout at the same instant.
#
# CPython 3.12 rebuilt wait_for on asyncio.timeout (gh-96764): the expiry
# cancels the waiting task, and a task whose wait completed but which has
# not resumed yet takes the cancellation instead of the result, so even a
# completion armed first loses. 3.11 returned the result; the trace here is
# that of 3.12 and later (the reference for duet, like the rest of asyncio's
# current semantics).
import asyncio
import harness

REQUIRES = (3, 12)


async def main(tr):
    async def inner(v):
        await asyncio.sleep(0.01)
        return v

    t = asyncio.create_task(inner("task"))
    await asyncio.sleep(0)  # t's sleep is armed first
    try:
        tr.log("task armed first:", await asyncio.wait_for(t, 0.01))
    except TimeoutError:
        tr.log("task armed first: timeout")
    f = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(0.01, f.set_result, "future")
    try:
        tr.log("future armed first:", await asyncio.wait_for(f, 0.01))
    except TimeoutError:
        tr.log("future armed first: timeout")
    try:
        tr.log("coroutine:", await asyncio.wait_for(inner("coro"), 0.01))
    except TimeoutError:
        tr.log("coroutine: timeout")


if __name__ == "__main__":
    harness.main(main)
