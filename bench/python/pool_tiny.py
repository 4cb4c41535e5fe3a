"""n tiny tasks (i -> i+1) on a ThreadPoolExecutor of W workers.

Twin of duetbench's pool_tiny, duet_await variant: submit every task, then
result() of every future, for W = --workers (the CPU count by default) and
W = 100. The executor starts its threads during the run, as duet's pool does.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from _common import main, workers


def add_one(i):
    return i + 1


def rep(n):
    out = {}
    for key, w in (("wcores", workers()), ("w100", 100)):
        with ThreadPoolExecutor(max_workers=w) as ex:
            t0 = time.perf_counter()
            futs = [ex.submit(add_one, i) for i in range(n)]
            total = sum(f.result() for f in futs)
            el = time.perf_counter() - t0
        if total != n * (n + 1) // 2:
            raise SystemExit(f"results sum to {total}, want {n * (n + 1) // 2}")
        out[f"await_{key}_tasks_per_s"] = n / el
    return out


if __name__ == "__main__":
    main("pool_tiny", rep, 50_000, 3, __doc__)
