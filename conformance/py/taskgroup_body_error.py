# TaskGroup whose body raises: the children are cancelled, the group waits
# for them, and the body's error comes out inside the ExceptionGroup, after
# a child's failure during its cleanup. (A TaskGroup cancels its children
# in set order, so the trace sorts the names of the cancelled ones.)
import asyncio
import harness


async def main(tr):
    cancelled = []

    async def child(name, fail_on_cancel=False):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            cancelled.append(name)
            if fail_on_cancel:
                await asyncio.sleep(0.01)
                tr.log(name, "fails during cleanup")
                raise harness.Err(name)
            raise

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("a"))
            tg.create_task(child("b", fail_on_cancel=True))
            tg.create_task(child("c"))
            await asyncio.sleep(0.01)
            tr.log("body raises")
            raise harness.Err("body")
    except BaseExceptionGroup as eg:
        tr.log("group raised", eg, "cancelled", sorted(cancelled))


if __name__ == "__main__":
    harness.main(main)
