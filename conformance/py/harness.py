"""Shared helpers of the conformance scenarios (the Python side).

Every scenario module NAME.py defines ``async def main(tr)`` and logs what
happens with ``tr.log(...)``; the Go test with the same name logs the same
trace with duet. A trace line is the loop time since main started, in
milliseconds, then the logged parts separated by spaces.

Time: by default the scenarios run on a virtual clock, the Python twin of
duet's aio.WithVirtualClock(): the loop is CPython's own SelectorEventLoop
(its _run_once decides every order), only its clock is virtual and its
selector, instead of sleeping until the next timer, moves that clock forward
by the timeout (and exact deadline ties run in scheduling order, as on a
real clock: see _SeqTimerHandle). Traces are then exact and the whole suite takes no real
time. Set CONFORMANCE_REAL_CLOCK=1 to run on the real clock instead (times
are then rounded to 10 ms, and the scenarios' delays, multiples of 10 ms
well apart, keep the traces stable): a cross-check that the virtual clock
changes nothing.

Threads (the mixed_* scenarios): when no timer is pending, or while work
handed to an executor with run_in_executor (or to_thread) is outstanding,
the virtual loop does not move its clock but waits on the real clock for
another thread to wake it, as duet's virtual clock does; a loop that
nothing can wake is a deadlock, reported as an error. Handing work between
threads takes real time (a thread switch costs CPython a tenth of a
millisecond or more, and a busy machine much more), so on the real clock a
scenario may set REAL_ROUND_MS, the rounding of its times there (10 unless
set); its delays must then be multiples of it.

Run one scenario alone with ``python3 conformance/py/NAME.py``.
"""

import asyncio
import concurrent.futures
import heapq
import os
import selectors
import sys
import threading

REAL = os.environ.get("CONFORMANCE_REAL_CLOCK") == "1"


class Err(Exception):
    """The error scenarios raise on purpose; duet's twin is conformance.Err."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


# How long, in real seconds, the virtual loop waits for another thread to
# wake it before it declares a deadlock (the Go side's hangAfter).
THREAD_WAIT = 20.0


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self, clock, held):
        super().__init__()
        self._clock = clock
        self._held = held

    def select(self, timeout=None):
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is not None and not self._held[0]:
            self._clock[0] += timeout
            return ready
        # Only another thread can wake the loop now (through its self-pipe,
        # as call_soon_threadsafe does): wait for it on the real clock. The
        # clock stays put while work handed to an executor is outstanding,
        # as duet's virtual clock does, since that work may still wake the
        # loop before the next timer.
        if threading.active_count() == 1:
            # The other threads have ended, after any wake-up they sent.
            ready = super().select(0)
            if ready:
                return ready
            raise RuntimeError(
                "conformance: deadlock: every task waits and no timer is pending")
        ready = super().select(THREAD_WAIT)
        if not ready:
            raise RuntimeError(
                f"conformance: deadlock: every task waits, no timer is pending "
                f"and no thread woke the loop within {THREAD_WAIT:g} s")
        return ready


class _SeqTimerHandle(asyncio.TimerHandle):
    """A TimerHandle that breaks deadline ties by scheduling order.

    CPython's timer heap compares deadlines only, so timers due at exactly
    the same instant run in an order that depends on the heap's shape. On a
    real clock two deadlines computed one after the other always differ, so
    timers set for "the same" delay run in the order they were set; the
    virtual clock, which does not move while code runs, makes such ties
    exact, and this restores the real clock's order (which is also duet's:
    its timers break ties by scheduling order).
    """

    _next_seq = 0

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        _SeqTimerHandle._next_seq += 1
        self._seq = _SeqTimerHandle._next_seq

    def __lt__(self, other):
        if self._when != other._when:
            return self._when < other._when
        return self._seq < getattr(other, "_seq", 0)


class VirtualLoop(asyncio.SelectorEventLoop):
    """CPython's selector loop on a virtual clock that jumps to the next timer."""

    def __init__(self):
        self._vnow = [0.0]
        self._held = [0]  # executor jobs outstanding: the clock does not jump
        super().__init__(_VirtualSelector(self._vnow, self._held))

    def time(self):
        return self._vnow[0]

    def run_in_executor(self, executor, func, *args):
        # BaseEventLoop.run_in_executor, holding the virtual clock until the
        # job has ended (duet's RunInExecutor and ToThread do the same). The
        # hold is released after the job's outcome reached the loop: the
        # wrap_future callback is registered first, so its call_soon_threadsafe
        # comes first.
        self._check_closed()
        if executor is None:
            executor = self._default_executor
            check = getattr(self, "_check_default_executor", None)
            if check is not None:
                check()
            if executor is None:
                executor = concurrent.futures.ThreadPoolExecutor(
                    thread_name_prefix="asyncio")
                self._default_executor = executor
        job = executor.submit(func, *args)
        fut = asyncio.wrap_future(job, loop=self)
        self._held[0] += 1

        def release():
            self._held[0] -= 1

        def ended(_):
            try:
                self.call_soon_threadsafe(release)
            except RuntimeError:
                pass  # the loop is closed: nothing left to hold

        job.add_done_callback(ended)
        return fut

    async def shutdown_default_executor(self, timeout=None):
        # asyncio.Runner (3.12+) passes a 300 s timeout, a timer the virtual
        # clock would jump to at once while the shutdown thread joins the
        # workers; without a timeout the loop just waits for that thread.
        await super().shutdown_default_executor()

    def call_at(self, when, callback, *args, context=None):
        # BaseEventLoop.call_at, with a timer handle that orders exact ties
        # by scheduling (see _SeqTimerHandle).
        self._check_closed()
        timer = _SeqTimerHandle(when, callback, args, self, context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


def kind(e):
    """The name of an error, as both sides print it."""
    if isinstance(e, (asyncio.CancelledError, concurrent.futures.CancelledError)):
        msg = e.args[0] if e.args else None
        return f"Cancelled({msg})" if msg else "Cancelled"
    if isinstance(e, TimeoutError):
        return "Timeout"
    if isinstance(e, BaseExceptionGroup):
        return "Group[" + " ".join(kind(x) for x in e.exceptions) + "]"
    if isinstance(e, Err):
        return f"Err({e.msg})"
    if isinstance(e, asyncio.InvalidStateError):
        return "InvalidState"
    if isinstance(e, asyncio.BrokenBarrierError):
        return "BrokenBarrier"
    if isinstance(e, asyncio.QueueEmpty):
        return "QueueEmpty"
    if isinstance(e, asyncio.QueueFull):
        return "QueueFull"
    shut = getattr(asyncio, "QueueShutDown", None)
    if shut is not None and isinstance(e, shut):
        return "QueueShutDown"
    return f"{type(e).__name__}({e})"


def fmt(v):
    """Formats a value the way the Go side's fmtVal does."""
    if v is None:
        return "nil"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, BaseException):
        return kind(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def outcome(f):
    """A done future's result, or the exception it holds (what to log)."""
    try:
        return f.result()
    except BaseException as e:
        return e


class Trace:
    def __init__(self, round_ms=10):
        self.lines = []
        self.loop = None
        self.t0 = 0.0
        self.round_ms = round_ms  # on the real clock

    def start(self, loop):
        self.loop = loop
        self.t0 = loop.time()

    def now_ms(self):
        t = (self.loop.time() - self.t0) * 1000
        if REAL:
            return int(round(t / self.round_ms)) * self.round_ms
        return int(round(t))

    def log(self, *parts):
        self.lines.append(f"{self.now_ms()}ms " + " ".join(fmt(p) for p in parts))


async def in_thread(tr, body):
    """Runs body(log) in a worker thread, the threading world, where it may
    block, then logs the lines (lists of parts) it appended to log."""
    log = []
    await asyncio.to_thread(body, log)
    for line in log:
        tr.log(*line)


def run(main):
    """Runs main(tr) as asyncio.run would and returns the trace's lines."""
    mod = sys.modules.get(main.__module__)
    tr = Trace(getattr(mod, "REAL_ROUND_MS", 10))

    async def top():
        tr.start(asyncio.get_running_loop())
        await main(tr)

    factory = asyncio.new_event_loop if REAL else VirtualLoop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.get_loop().set_exception_handler(
            lambda loop, ctx: print("exception handler:", ctx.get("message"),
                                    ctx.get("exception"), file=sys.stderr))
        try:
            runner.run(top())
        except BaseException as e:  # the trace shows what main raised
            tr.log("main raised", e)
    return tr.lines


def main(scenario):
    """Entry point of a scenario file run as a script."""
    for line in run(scenario):
        print(line)
