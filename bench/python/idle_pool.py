"""A ThreadPoolExecutor of n started, idle threads: resident memory.

Twin of duetbench's idle_pool: n tasks hold n threads until all have
started, then every thread goes idle. CPython has no finer accounting than
the resident set (RSS), measured after gc.collect(); thread stacks are
mapped 8 MiB each but only the touched pages count.
"""

import gc
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from _common import main
from memory import rss


def rep(n):
    gc.collect()
    before = rss()
    ex = ThreadPoolExecutor(max_workers=n)
    started = threading.Barrier(n + 1)
    release = threading.Event()

    def hold():
        started.wait()
        release.wait()

    futs = [ex.submit(hold) for _ in range(n)]
    started.wait()
    release.set()
    wait(futs)
    gc.collect()
    after = rss()
    ex.shutdown(wait=True)
    return {"total_mib": (after - before) / (1 << 20), "bytes_per_worker": (after - before) / n}


if __name__ == "__main__":
    main("idle_pool", rep, 1000, 1, __doc__)
