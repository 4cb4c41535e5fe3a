"""Harness shared by the CPython twins of duetbench's workloads.

Each script runs its workload --reps times with size --n under asyncio.run
(or uvloop's loop with --uvloop) and prints one JSON line with the median of
every metric and the samples behind it, in the format duetbench reads.
"""

import argparse
import asyncio
import gc
import json
import platform
import statistics


def main(workload, rep, n, reps, doc):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--n", type=int, default=n, help="size per repetition")
    ap.add_argument("--reps", type=int, default=reps, help="repetitions (median taken)")
    ap.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    a = ap.parse_args()
    impl = "cpython"
    if a.uvloop:
        import uvloop  # Debian: python3-uvloop, for /usr/bin/python3 only

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        impl = "uvloop"
    samples = {}
    for _ in range(a.reps):
        gc.collect()
        for k, v in asyncio.run(rep(a.n)).items():
            samples.setdefault(k, []).append(float(v))
    print(json.dumps({
        "workload": workload,
        "impl": impl,
        "n": a.n,
        "reps": a.reps,
        "metrics": {k: statistics.median(v) for k, v in samples.items()},
        "samples": samples,
        "info": {"python": platform.python_implementation() + " " + platform.python_version()},
    }))
