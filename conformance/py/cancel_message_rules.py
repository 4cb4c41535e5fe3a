# Which message a CancelledError carries when cancel() is called several
# times: a task waiting on a future passes the first request to the future
# (later ones find it cancelled already), so the first message wins; a task
# that is not waiting (not started yet, or cancelling itself while it runs)
# keeps the last message given.
import asyncio
import harness


async def main(tr):
    async def sleeper():
        await asyncio.sleep(1)

    async def run(label, t):
        try:
            await t
        except asyncio.CancelledError as e:
            tr.log(label, e)

    t = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    t.cancel("first")
    t.cancel("second")
    await run("waiting on a future:", t)

    t = asyncio.create_task(sleeper())
    t.cancel("first")
    t.cancel("second")
    await run("not started:", t)

    async def selfish():
        me = asyncio.current_task()
        me.cancel("first")
        me.cancel("second")
        await asyncio.sleep(0)

    await run("self-cancelled:", asyncio.create_task(selfish()))


if __name__ == "__main__":
    harness.main(main)
