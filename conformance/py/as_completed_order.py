# as_completed yields results in completion order (errors too), and its
# timeout raises TimeoutError for the ones not done in time without
# cancelling them.
import asyncio
import harness


async def main(tr):
    async def child(v, d, fail=False):
        await asyncio.sleep(d)
        if fail:
            raise harness.Err(v)
        return v

    for c in asyncio.as_completed([child("a", 0.03), child("b", 0.01),
                                   child("c", 0.02, fail=True)]):
        try:
            tr.log("next", await c)
        except harness.Err as e:
            tr.log("next raised", e)
    slow = asyncio.create_task(child("slow", 0.05))
    try:
        for c in asyncio.as_completed([child("quick", 0.01), slow], timeout=0.02):
            tr.log("next", await c)
    except TimeoutError:
        tr.log("timeout; slow cancelled", slow.cancelled())
    tr.log("slow", await slow)


if __name__ == "__main__":
    harness.main(main)
