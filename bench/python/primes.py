"""Count primes below n by trial division: serial vs threads, under the GIL.

Twin of duetbench's primes: the same algorithm and the same chunking (2
chunks per worker, chunk c takes blocks c, c+k, c+2k, ... of 1000 numbers) on
a ThreadPoolExecutor of --workers threads (the CPU count by default). Pure
Python holds the GIL, so the threads take turns: expect a speedup near 1.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from _common import main, workers

BLOCK = 1000  # duetbench's primeBlock


def count_primes(lo, hi):
    c = 0
    for x in range(max(lo, 2), hi):
        if x < 4:
            c += 1
            continue
        if x % 2 == 0:
            continue
        d = 3
        prime = True
        while d * d <= x:
            if x % d == 0:
                prime = False
                break
            d += 2
        if prime:
            c += 1
    return c


def chunk(c, k, n):
    return sum(count_primes(lo, min(lo + BLOCK, n)) for lo in range(c * BLOCK, n, k * BLOCK))


def rep(n):
    w = workers()
    k = 2 * w
    t0 = time.perf_counter()
    serial = sum(chunk(c, k, n) for c in range(k))
    serial_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=w) as ex:
        threaded = sum(ex.map(lambda c: chunk(c, k, n), range(k)))
    threads_ms = (time.perf_counter() - t0) * 1e3
    if serial != threaded:
        raise SystemExit(f"serial counted {serial} primes, threads {threaded}")
    return {"serial_ms": serial_ms, "threads_ms": threads_ms, "speedup": serial_ms / threads_ms,
            "primes": serial, "workers": w, "chunks": k}


if __name__ == "__main__":
    main("primes", rep, 600_000, 3, __doc__)
