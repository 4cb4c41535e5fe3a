"""A child started and its small output read to the end, one at a time.

Twin of duetbench's subprocess: aio.StartProcess(/bin/echo hi, stdout
piped) + Communicate, against asyncio.create_subprocess_exec +
communicate.
"""

import os
import sys

# This file is named after its workload, which shadows the standard
# library's subprocess module that asyncio imports: drop this directory
# from the path while asyncio loads.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
import asyncio  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, _here)
from _common import main  # noqa: E402

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
    main("subprocess", rep, 500, 5, __doc__)
