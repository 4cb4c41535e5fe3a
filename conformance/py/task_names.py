# Default task names count up from the main task (Task-1); since 3.13 a
# task given a name does not use up a number (3.11 and 3.12: asyncio.create_task
# named the task after numbering it). The trace is 3.13's.
import asyncio
import harness

REQUIRES = (3, 13)


async def main(tr):
    async def nothing():
        pass

    # The counter is per process and the runner runs many scenarios in one:
    # number the names as if the main task were Task-1, as in a fresh run.
    base = int(asyncio.current_task().get_name().split("-")[1]) - 1

    def rel(name):
        if name.startswith("Task-"):
            return "Task-%d" % (int(name[5:]) - base)
        return name

    ts = [asyncio.create_task(nothing()),
          asyncio.create_task(nothing(), name="custom"),
          asyncio.create_task(nothing())]
    tr.log("names", [rel(t.get_name()) for t in ts])
    for t in ts:
        await t


if __name__ == "__main__":
    harness.main(main)
