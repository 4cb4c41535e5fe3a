# gather with the same awaitable twice waits for it once and puts its value
# at both positions.
import asyncio
import harness


async def main(tr):
    runs = []

    async def child(v):
        runs.append(v)
        await asyncio.sleep(0.01)
        return v

    t = asyncio.create_task(child("t"))
    u = asyncio.create_task(child("u"))
    r = await asyncio.gather(t, u, t)
    tr.log("results", r, "runs", runs)


if __name__ == "__main__":
    harness.main(main)
