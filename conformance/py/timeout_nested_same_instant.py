# Two nested timeouts with the same deadline: both fire in the same
# iteration (the outer one first, it was armed first). The inner one sees a
# second cancellation pending and lets the CancelledError through; the
# outer one turns it into TimeoutError.
import asyncio
import harness


async def main(tr):
    try:
        async with asyncio.timeout(0.01):
            try:
                async with asyncio.timeout(0.01):
                    await asyncio.sleep(1)
            except TimeoutError:
                tr.log("inner timeout")
                raise
            except asyncio.CancelledError:
                tr.log("inner lets the cancellation through, cancelling",
                       asyncio.current_task().cancelling())
                raise
    except TimeoutError:
        tr.log("outer timeout, cancelling", asyncio.current_task().cancelling())


if __name__ == "__main__":
    harness.main(main)
