"""n tiny tasks queued behind one busy worker: resident memory per queued task.

Twin of duetbench's pool_queued_memory: a ThreadPoolExecutor(1) whose worker
is held by a first task while n more are submitted (each a Future and a
_WorkItem in the executor's unbounded queue). CPython has no heap accounting
that covers everything, so this reports the resident set (RSS) growth after
gc.collect(), per queued task.
"""

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _common import main
from memory import rss


def tiny():
    return 1


def rep(n):
    gc.collect()
    before = rss()
    release = threading.Event()
    busy = threading.Event()

    def hold():
        busy.set()
        release.wait()

    ex = ThreadPoolExecutor(max_workers=1)
    ex.submit(hold)
    busy.wait()
    t0 = time.perf_counter()
    futs = [ex.submit(tiny) for _ in range(n)]
    submit_ns = (time.perf_counter() - t0) / n * 1e9
    gc.collect()
    after = rss()
    release.set()
    ex.shutdown(wait=True)
    if sum(f.result() for f in futs) != n:
        raise SystemExit("tasks lost")
    return {"bytes_per_task": (after - before) / n, "submit_ns_per_task": submit_ns}


if __name__ == "__main__":
    main("pool_queued_memory", rep, 50_000, 1, __doc__)
