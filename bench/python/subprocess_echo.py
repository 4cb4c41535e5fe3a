"""A child started and its small output read to the end, one at a time.

Twin of duetbench's subprocess_echo: aio.StartProcess(/bin/echo hi, stdout
piped) + Communicate, against asyncio.create_subprocess_exec +
communicate.
"""

# Not named subprocess.py: in this directory that would shadow the standard
# library's module for every script here.
import asyncio
import time

from _common import main

ECHO = "/bin/echo"


async def one():
    p = await asyncio.create_subprocess_exec(ECHO, "hi", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    if out != b"hi\n":
        raise RuntimeError(f"the child printed {out!r}")


async def rep(n):
    for _ in range(50):  # warm-up, as the Go side does
        await one()
    t0 = time.perf_counter()
    for _ in range(n):
        await one()
    return {"us_per_proc": (time.perf_counter() - t0) / n * 1e6}


if __name__ == "__main__":
    main("subprocess_echo", rep, 500, 5, __doc__)
