"""Dask's twin of remotebench: client.submit of a trivial function on a
LocalCluster (Debian's python3-distributed), in the same run.

Prints two lines that remotebench reads:
  dask throughput TASKS_PER_S (N tasks submitted at once, then gathered)
  dask latency P50_US P99_US (one task at a time: submit + result)
"""
import sys
import time

from dask.distributed import Client, LocalCluster


def echo(b):
    return b


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    one = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    arg = bytes(64)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        client.gather(client.map(echo, [arg] * 100, pure=False))  # warm up
        t0 = time.perf_counter()
        futs = [client.submit(echo, arg, pure=False) for _ in range(n)]
        client.gather(futs)
        el = time.perf_counter() - t0
        print(f"dask throughput {n / el:.0f}", flush=True)
        lat = []
        for _ in range(one):
            t = time.perf_counter()
            client.submit(echo, arg, pure=False).result()
            lat.append(time.perf_counter() - t)
        lat.sort()
        print(f"dask latency {lat[len(lat) // 2] * 1e6:.0f} {lat[len(lat) * 99 // 100] * 1e6:.0f}", flush=True)


if __name__ == "__main__":
    main()
