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

Run one scenario alone with ``python3 conformance/py/NAME.py``.
"""

import asyncio
import heapq
import os
import selectors
import sys

REAL = os.environ.get("CONFORMANCE_REAL_CLOCK") == "1"


class Err(Exception):
    """The error scenarios raise on purpose; duet's twin is conformance.Err."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self, clock):
        super().__init__()
        self._clock = clock

    def select(self, timeout=None):
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError(
                "conformance: deadlock: every task waits and no timer is pending")
        self._clock[0] += timeout
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
        super().__init__(_VirtualSelector(self._vnow))

    def time(self):
        return self._vnow[0]

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
    if isinstance(e, asyncio.CancelledError):
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


class Trace:
    def __init__(self):
        self.lines = []
        self.loop = None
        self.t0 = 0.0

    def start(self, loop):
        self.loop = loop
        self.t0 = loop.time()

    def now_ms(self):
        t = (self.loop.time() - self.t0) * 1000
        if REAL:
            return int(round(t / 10)) * 10
        return int(round(t))

    def log(self, *parts):
        self.lines.append(f"{self.now_ms()}ms " + " ".join(fmt(p) for p in parts))


def run(main):
    """Runs main(tr) as asyncio.run would and returns the trace's lines."""
    tr = Trace()

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
