"""Runs conformance scenarios in one python3 process and prints their traces.

Usage: python3 runner.py [NAME ...]   (no names: every scenario module here)

Output: a first line "=== PYTHON X.Y.Z" ("=== TOO OLD" follows, and
nothing else, before 3.11), then per scenario:
    === NAME
    <trace lines>
    === END
or, when the interpreter is older than the scenario's REQUIRES (the first
version with the reference behaviour) or newer than its MAX_PYTHON (the
last one), in which case NAME.expected holds the reference trace:
    === NAME
    === SKIP <why>
"""

import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

NOT_SCENARIOS = {"harness", "runner"}


def names():
    out = []
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".py") and f[:-3] not in NOT_SCENARIOS:
            out.append(f[:-3])
    return out


def main(argv):
    print("=== PYTHON " + sys.version.split()[0])
    if sys.version_info < (3, 11):
        print("=== TOO OLD")  # asyncio.Runner, TaskGroup, timeout: 3.11
        return
    for name in argv or names():
        mod = importlib.import_module(name)
        print("=== " + name)
        req = getattr(mod, "REQUIRES", None)
        if req is not None and sys.version_info[:2] < tuple(req):
            print("=== SKIP needs Python %d.%d" % tuple(req))
            continue
        top = getattr(mod, "MAX_PYTHON", None)
        if top is not None and sys.version_info[:2] > tuple(top):
            print("=== SKIP behaves differently after Python %d.%d, the reference" % tuple(top))
            continue
        for line in harness.run(mod.main):
            print(line)
        print("=== END")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
