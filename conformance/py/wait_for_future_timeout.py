# wait_for on a plain future that never completes: at the timeout the
# future is cancelled and TimeoutError comes out; a future completed in
# time gives its value.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    try:
        await asyncio.wait_for(f, 0.01)
    except TimeoutError:
        tr.log("timeout, future cancelled", f.cancelled())
    g = loop.create_future()
    loop.call_later(0.01, g.set_result, "g")
    tr.log("got", await asyncio.wait_for(g, 0.02))


if __name__ == "__main__":
    harness.main(main)
