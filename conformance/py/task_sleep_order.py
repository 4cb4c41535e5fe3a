# Sleepers wake by deadline; equal deadlines wake in the order the sleeps
# began; a sleeper and a call_later with the same deadline keep their order.
import asyncio
import harness


async def main(tr):
    loop = asyncio.get_running_loop()

    async def sleeper(name, d):
        tr.log("sleep", name, d)
        await asyncio.sleep(d)
        tr.log("woke", name)

    ts = [asyncio.create_task(sleeper(n, d)) for n, d in
          (("a", 0.03), ("b", 0.01), ("c", 0.02), ("d", 0.01))]
    await asyncio.sleep(0)
    loop.call_later(0.01, tr.log, "timer 10")
    for t in ts:
        await t
    tr.log("main done")


if __name__ == "__main__":
    harness.main(main)
