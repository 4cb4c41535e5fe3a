# Default task names count up from the main task (Task-1); since 3.13 a
# task given a name does not use up a number (3.11 and 3.12: asyncio.create_task
# named the task after numbering it). The trace is 3.13's.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    async def nothing():
        pass

    ts = [asyncio.create_task(nothing()),
          asyncio.create_task(nothing(), name="custom"),
          asyncio.create_task(nothing())]
    tr.log("names", [t.get_name() for t in ts])
    for t in ts:
        await t


if __name__ == "__main__":
    harness.main(main)
