# Cancelling a task that awaits a task that awaits a task cancels down the
# chain: the innermost wait raises first, and each level unwinds in turn.
import asyncio
import harness


async def main(tr):
    async def leaf():
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError as e:
            tr.log("leaf cancelled", e)
            raise

    async def mid():
        try:
            await asyncio.create_task(leaf())
        except asyncio.CancelledError as e:
            tr.log("mid cancelled", e)
            raise

    async def top():
        t = asyncio.create_task(mid())
        try:
            await t
        except asyncio.CancelledError as e:
            tr.log("top cancelled", e)
            raise

    t = asyncio.create_task(top())
    await asyncio.sleep(0.01)
    tr.log("cancel top", t.cancel("stop"))
    try:
        await t
    except BaseException as e:
        tr.log("main", e, t.cancelled())


if __name__ == "__main__":
    harness.main(main)
