# Nested timeouts attribute expiry correctly: when the outer one expires,
# the inner one lets the cancellation through and the outer one raises
# TimeoutError; when the inner one expires, only the inner raises.
import asyncio
import harness


async def main(tr):
    try:
        async with asyncio.timeout(0.02):
            try:
                async with asyncio.timeout(0.05):
                    await asyncio.sleep(1)
            except TimeoutError:
                tr.log("inner timeout (wrong)")
            except asyncio.CancelledError:
                tr.log("inner passes the cancellation on")
                raise
    except TimeoutError:
        tr.log("outer timeout")
    async with asyncio.timeout(0.05):
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(1)
        except TimeoutError:
            tr.log("inner timeout")
        await asyncio.sleep(0.01)
        tr.log("outer body goes on")
    tr.log("cancelling", asyncio.current_task().cancelling())


if __name__ == "__main__":
    harness.main(main)
