# The threading world's timeouts raise the call's own exception:
# queue.Queue.get(timeout=) raises queue.Empty, put(timeout=) queue.Full,
# threading.Barrier.wait(timeout=) BrokenBarrierError (and breaks the
# barrier for the other parties). duet's goroutine errors match them (and
# ErrTimeout); the trace names each error by its Python class.
import queue
import threading
import time
import harness


def run(log):
    q = queue.Queue(1)
    try:
        q.get(timeout=0.01)
    except Exception as e:
        log.append(["get timed out:", type(e).__name__])
    q.put(1)
    try:
        q.put(2, timeout=0.01)
    except Exception as e:
        log.append(["put timed out:", type(e).__name__])
    log.append(["queue holds", q.qsize()])

    b = threading.Barrier(3)
    got = []

    def other():
        try:
            b.wait()
        except Exception as e:
            got.append(type(e).__name__)

    th = threading.Thread(target=other)
    th.start()
    while b.n_waiting < 1:
        time.sleep(0.001)
    try:
        b.wait(timeout=0.01)
    except Exception as e:
        log.append(["barrier wait timed out:", type(e).__name__])
    th.join()
    log.append(["other party:", got[0], "broken", b.broken, "waiting", b.n_waiting])


async def main(tr):
    await harness.in_thread(tr, run)


if __name__ == "__main__":
    harness.main(main)
