"""Harness shared by the CPython twins of duetbench's workloads.

Each script runs its workload --reps times with size --n under asyncio.run
(or uvloop's loop with --uvloop) and prints one JSON line with the median of
every metric and the samples behind it, in the format duetbench reads. A
workload whose rep is a plain function (the threading ones) is called
directly. --workers is the size of the "one worker per core" pools (0: the
CPU count); workers() returns it.
"""

import argparse
import asyncio
import gc
import inspect
import json
import os
import platform
import statistics

_workers = 0


def workers():
    """The size of the one-worker-per-core pools: --workers, or the CPU count."""
    return _workers or os.cpu_count() or 1


def main(workload, rep, n, reps, doc):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--n", type=int, default=n, help="size per repetition")
    ap.add_argument("--reps", type=int, default=reps, help="repetitions (median taken)")
    ap.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    ap.add_argument("--workers", type=int, default=0, help="one-per-core pool size (0: CPU count)")
    a = ap.parse_args()
    global _workers
    _workers = a.workers
    impl = "cpython"
    if a.uvloop:
        import uvloop  # Debian: python3-uvloop, for /usr/bin/python3 only

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        impl = "uvloop"
    samples = {}
    for _ in range(a.reps):
        gc.collect()
        res = asyncio.run(rep(a.n)) if inspect.iscoroutinefunction(rep) else rep(a.n)
        for k, v in res.items():
            samples.setdefault(k, []).append(float(v))
    print(json.dumps({
        "workload": workload,
        "impl": impl,
        "n": a.n,
        "reps": a.reps,
        "metrics": {k: statistics.median(v) for k, v in samples.items()},
        "samples": samples,
        "info": {"python": platform.python_implementation() + " " + platform.python_version(), "workers": str(workers())},
    }))
