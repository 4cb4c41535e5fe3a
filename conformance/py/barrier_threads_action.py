# threading.Barrier with an action, used from threads. While the action
# runs, the round is complete but not released (the action runs under the
# barrier's lock): n_waiting reads parties, and a thread whose timeout ends
# then still passes with its index once the action has finished.
import threading
import time
import harness


def run(log):
    b = None

    def action():
        log.append(["action, waiting", b.n_waiting, "broken", b.broken])
        time.sleep(0.2)  # g1's timeout ends meanwhile (the outcome is the same if not)

    b = threading.Barrier(3, action=action)
    got = {}

    def party(name, timeout):
        try:
            got[name] = b.wait(timeout)
        except threading.BrokenBarrierError:
            got[name] = "BrokenBarrier"

    ths = []
    for n, timeout in (("g1", 0.05), ("g2", None)):
        th = threading.Thread(target=party, args=(n, timeout))
        th.start()
        ths.append(th)
        while b.n_waiting < len(ths):
            time.sleep(0.001)
    party("g3", None)
    for th in ths:
        th.join()
    log.append(["indexes", [got[n] for n in ("g1", "g2", "g3")]])
    log.append(["broken", b.broken, "waiting", b.n_waiting])


async def main(tr):
    await harness.in_thread(tr, run)


if __name__ == "__main__":
    harness.main(main)
