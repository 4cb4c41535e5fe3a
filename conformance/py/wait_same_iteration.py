# wait(FIRST_COMPLETED) when two tasks finish in the same iteration: both
# are done when it returns. wait(timeout) when a task finishes at the
# timeout's instant: the task's completion was set first, so it is done.
import asyncio
import harness


async def main(tr):
    async def child(v, d):
        await asyncio.sleep(d)
        return v

    def names(s):
        return sorted(t.get_name() for t in s)

    ts = [asyncio.create_task(child(n, d), name=n) for n, d in
          (("a", 0.01), ("b", 0.01), ("c", 0.02))]
    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)
    tr.log("first_completed", names(done), names(pending))
    done, pending = await asyncio.wait(ts, timeout=0.01)
    tr.log("timeout at completion", names(done), names(pending))


if __name__ == "__main__":
    harness.main(main)
