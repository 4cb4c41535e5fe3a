"""The CPython side of `duet compare`: one model of one workload per run.

The parent (cmd/duet) starts this script with the run's sizes, serves the
HTTP requests itself, reads this process's CPU time and peak memory from
its rusage, and reads one JSON line from stdout: the same sample a Go
worker prints.
"""
import argparse
import asyncio
import concurrent.futures
import http.client
import json
import sys
import threading
import time


def count_primes(lo, hi):
    # Line for line cmd/duet's countPrimes: the same work in every model.
    n = 0
    for x in range(max(lo, 2), hi):
        if x % 2 == 0:
            if x == 2:
                n += 1
            continue
        prime = True
        d = 3
        while d * d <= x:
            if x % d == 0:
                prime = False
                break
            d += 2
        if prime:
            n += 1
    return n


CHUNK_BASE = 1_000_000


def chunk(i, size):
    lo = CHUNK_BASE + i * size
    return count_primes(lo, lo + size)


class Recorder:
    def __init__(self):
        self.lat = []
        self.errors = 0
        self.first = None
        self.held = 0.0  # seconds of computation on the loop
        self.lock = threading.Lock()

    def on_loop(self, i, size):
        t = time.perf_counter()
        chunk(i, size)
        self.held += time.perf_counter() - t

    def done(self, start, err=None):
        d = (time.perf_counter() - start) * 1000
        with self.lock:
            if err is not None:
                self.errors += 1
                if self.first is None:
                    self.first = repr(err)
            else:
                self.lat.append(d)


REQUEST = b"GET / HTTP/1.1\r\nHost: compare\r\n\r\n"


async def aget(reader, writer):
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    status, _, rest = head.partition(b"\r\n")
    if not status.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError("unexpected response %r" % status)
    n = -1
    for h in rest.split(b"\r\n"):
        k, sep, v = h.partition(b":")
        if sep and k.strip().lower() == b"content-length":
            n = int(v.strip())
    if n < 0:
        raise RuntimeError("response without Content-Length")
    await reader.readexactly(n)


async def amain(a, rec, to_thread):
    host, port = a.addr.rsplit(":", 1)
    if a.workload == "cpu":
        async def one(i):
            t = time.perf_counter()
            if to_thread:
                await asyncio.to_thread(chunk, i, a.chunk)
            else:
                rec.on_loop(i, a.chunk)
            rec.done(t)
        await asyncio.gather(*(one(i) for i in range(a.n)))
        return
    it = iter(range(a.n))

    async def worker():
        reader = writer = None
        try:
            for i in it:
                t = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    await aget(reader, writer)
                    if a.workload == "mixed":
                        if to_thread:
                            await asyncio.to_thread(chunk, i, a.mixed_chunk)
                        else:
                            rec.on_loop(i, a.mixed_chunk)
                except Exception as e:  # counted, as the Go workers count theirs
                    rec.done(t, e)
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    continue
                rec.done(t)
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(worker() for _ in range(min(a.concurrency, a.n))))


def threads_main(a, rec):
    host, port = a.addr.rsplit(":", 1)
    local = threading.local()
    size = a.workers if a.workload == "cpu" else a.concurrency

    def op(i):
        t = time.perf_counter()
        try:
            if a.workload != "cpu":
                c = getattr(local, "conn", None)
                if c is None:
                    c = local.conn = http.client.HTTPConnection(host, int(port))
                c.request("GET", "/")
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError("unexpected status %d" % r.status)
            if a.workload != "io":
                chunk(i, a.chunk if a.workload == "cpu" else a.mixed_chunk)
        except Exception as e:
            local.conn = None
            rec.done(t, e)
            return
        rec.done(t)

    with concurrent.futures.ThreadPoolExecutor(max_workers=size) as ex:
        list(ex.map(op, range(a.n)))


def peak_rss():
    # VmHWM, as the Go workers report it: getrusage's ru_maxrss of a child
    # started by a Go parent includes the parent's memory at the fork.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def warm_up(addr):
    """Make one request on a connection the server then closes, before
    anything is timed. A fresh CPython process reads each message into a
    new 256 KiB buffer (the transport's max_size), which glibc's malloc
    serves with mmap, mremap and munmap, three system calls more per read
    (strace -c shows them), until a read at the end of a stream frees one
    such buffer whole and glibc raises its mmap threshold past it. A
    long-running program has long since met an end of stream; this one,
    on keep-alive connections, would meet none and be measured at its
    slowest."""
    host, port = addr.rsplit(":", 1)

    async def once():
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: compare\r\nConnection: close\r\n\r\n")
        await reader.read()  # to the server's close
        writer.close()

    asyncio.run(once())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=["asyncio", "asyncio+to_thread", "threads", "uvloop"])
    p.add_argument("--workload", required=True, choices=["io", "cpu", "mixed"])
    p.add_argument("--addr", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--chunk", type=int, required=True)
    p.add_argument("--mixed-chunk", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    a = p.parse_args()
    rec = Recorder()
    if a.workload != "cpu" and a.model.startswith("asyncio"):
        warm_up(a.addr)
    start, cpu0 = time.perf_counter(), time.process_time()
    if a.model == "threads":
        threads_main(a, rec)
    elif a.model == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        asyncio.run(amain(a, rec, False))
    else:
        asyncio.run(amain(a, rec, a.model == "asyncio+to_thread"))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    json.dump({"ops": len(rec.lat), "errors": rec.errors, "wall_s": wall, "cpu_s": cpu, "held_s": rec.held,
               "peak_rss_bytes": peak_rss(),
               "latencies_ms": rec.lat, "first_error": rec.first or ""}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
