# asyncio.wait's three modes and its timeout: it returns (done, pending)
# and never cancels what is pending. FIRST_EXCEPTION falls back to
# ALL_COMPLETED when nothing fails.
import asyncio
import harness


async def main(tr):
    async def child(name, d, fail=False):
        await asyncio.sleep(d)
        if fail:
            raise harness.Err(name)
        return name

    def names(s):
        return sorted(t.get_name() for t in s)

    def spawn(*specs):
        return [asyncio.create_task(child(*s), name=s[0]) for s in specs]

    ts = spawn(("a", 0.03), ("b", 0.01), ("c", 0.02))
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)
    tr.log("first_completed", names(done), names(pending))
    done, pending = await asyncio.wait(ts)
    tr.log("all_completed", names(done), names(pending))

    ts = spawn(("d", 0.03), ("e", 0.01, True), ("f", 0.02))
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    tr.log("first_exception", names(done), names(pending))
    await asyncio.wait(ts)

    ts = spawn(("g", 0.01), ("h", 0.02))
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_EXCEPTION)
    tr.log("first_exception, none fails", names(done), names(pending))

    ts = spawn(("i", 0.01), ("j", 0.05))
    done, pending = await asyncio.wait(ts, timeout=0.02)
    tr.log("timeout", names(done), names(pending), "j cancelled", ts[1].cancelled())
    await ts[1]
    tr.log("j still finished", ts[1].result())


if __name__ == "__main__":
    harness.main(main)
