# uncancel() that brings the count back to 0 withdraws a cancellation not
# yet delivered (3.13; 3.11 and 3.12 still delivered it at the next
# suspension). The trace is 3.13's.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    async def body():
        me = asyncio.current_task()
        me.cancel("withdrawn")
        tr.log("cancelled self, cancelling", me.cancelling())
        tr.log("uncancel ->", me.uncancel())
        try:
            await asyncio.sleep(0.01)
            tr.log("slept undisturbed")
        except asyncio.CancelledError:
            tr.log("cancelled anyway")
            raise
        me.cancel("kept")
        me.cancel("twice")
        tr.log("uncancel ->", me.uncancel())
        try:
            await asyncio.sleep(0.01)
            tr.log("slept undisturbed")
        except asyncio.CancelledError:
            tr.log("cancelled: one request left")
        return "done"

    tr.log("result", await asyncio.create_task(body()))


if __name__ == "__main__":
    harness.main(main)
