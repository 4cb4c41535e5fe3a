# One timeout rule: a timeout <= 0 does not wait, None waits without limit.
# wait(timeout=0) (and -1) polls: it yields to the loop once, so what
# completes in that iteration counts as done, and returns the split without
# cancelling anything. wait_for(aw, 0) gives a done awaitable's result and
# cancels a pending one at once (TimeoutError). timeout(0) and timeout(-1)
# expire at the next suspension (a body that never suspends is not
# interrupted); timeout(None) has no deadline. as_completed(timeout=0)
# yields what is done, then raises TimeoutError. wait, wait_for and
# as_completed with None wait for completion.
import asyncio
import harness


async def main(tr):
    async def child(name, d):
        await asyncio.sleep(d)
        return name

    def names(s):
        return sorted(t.get_name() for t in s)

    def spawn(name, d):
        return asyncio.create_task(child(name, d), name=name)

    async def one_step():
        await asyncio.sleep(0)
        return "r"

    d = spawn("d", 0)
    await d
    p = spawn("p", 0.05)
    for t in (0, -1):
        done, pending = await asyncio.wait([d, p], timeout=t)
        tr.log("wait", t, names(done), names(pending))
    q = spawn("q", 0)  # its first step runs in the poll's iteration
    r = asyncio.create_task(one_step(), name="r")  # needs one more step
    done, pending = await asyncio.wait([q, r, p], timeout=0)
    tr.log("wait 0, fresh tasks", names(done), names(pending))
    done, pending = await asyncio.wait([p], return_when=asyncio.FIRST_COMPLETED, timeout=None)
    tr.log("wait None", names(done), names(pending))

    for t in (0, -1):
        tr.log("wait_for done", t, await asyncio.wait_for(d, t))
        w = spawn("w", 1)
        try:
            await asyncio.wait_for(w, t)
        except TimeoutError as e:
            tr.log("wait_for pending", t, e, "cancelled", w.cancelled())
    tr.log("wait_for None", await asyncio.wait_for(spawn("n", 0.03), None))

    for t in (0, -1):
        try:
            async with asyncio.timeout(t):
                await asyncio.sleep(0)
                tr.log("not reached")
        except TimeoutError as e:
            tr.log("timeout", t, "expired:", e)
        async with asyncio.timeout(t) as to:
            pass
        tr.log("timeout", t, "without a suspension: expired", to.expired())
    async with asyncio.timeout(None) as to:
        tr.log("timeout None: when", to.when())
        await asyncio.sleep(0.1)
    tr.log("timeout None: slept, expired", to.expired())

    a = spawn("a", 0.01)
    b = spawn("b", 0.05)
    for t in (0, 0.02):
        try:
            for f in asyncio.as_completed([d, a, b], timeout=t):
                tr.log("as_completed", t, await f)
        except TimeoutError as e:
            tr.log("as_completed", t, e)
    for f in asyncio.as_completed([a, b], timeout=None):
        tr.log("as_completed None", await f)


if __name__ == "__main__":
    harness.main(main)
