# TaskGroup: two children that fail before the group's cancellation reaches
# them both end up in the ExceptionGroup (in failure order); the other
# children and the body are cancelled; the group waits for all of them.
import asyncio
import harness


async def main(tr):
    async def child(name, d, fail=False):
        try:
            await asyncio.sleep(d)
        except asyncio.CancelledError:
            tr.log(name, "cancelled")
            raise
        if fail:
            tr.log(name, "fails")
            raise harness.Err(name)
        tr.log(name, "finishes")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("ok", 0.01))
            tg.create_task(child("a", 0.02, fail=True))
            tg.create_task(child("b", 0.02, fail=True))
            tg.create_task(child("slow", 1))
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                tr.log("body cancelled")
                raise
    except BaseExceptionGroup as eg:
        tr.log("group raised", eg)
    tr.log("cancelling", asyncio.current_task().cancelling())


if __name__ == "__main__":
    harness.main(main)
