# Future state rules: result of a pending future, second completion, cancel
# of a done future, result of a cancelled future (message kept).
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    try:
        f.result()
    except BaseException as e:
        tr.log("pending result", e)
    f.set_result(1)
    try:
        f.set_result(2)
    except BaseException as e:
        tr.log("second set_result", e)
    tr.log("cancel done", f.cancel(), f.result())
    g = loop.create_future()
    tr.log("cancel pending", g.cancel("why"), g.cancelled(), g.done())
    try:
        g.result()
    except BaseException as e:
        tr.log("cancelled result", e)
    h = loop.create_future()
    h.set_exception(harness.Err("boom"))
    tr.log("exception", h.exception())
    try:
        await h
    except BaseException as e:
        tr.log("await failed", e)


if __name__ == "__main__":
    harness.main(main)
