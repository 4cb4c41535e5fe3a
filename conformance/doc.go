// Package conformance holds duet's differential conformance suite: each
// scenario is written twice, as a small CPython asyncio script
// (py/NAME.py) and as a Go function using duet (a *_test.go file here),
// both logging a trace of what happens, line by line: the loop time since
// the scenario started, in milliseconds, then what was observed (start and
// finish order, values, error kinds). The test runs every Python scenario
// in one python3 process (py/runner.py), runs the Go twins on a virtual
// clock, and requires identical traces, printing a diff on mismatch.
//
// Run it with
//
//	go test ./conformance/
//	go test ./conformance/ -run 'TestConformance/cancel_' -v   # some scenarios, with traces
//
// Environment: CONFORMANCE_PYTHON names the interpreter (default python3;
// the suite is skipped, with a message, when none is found);
// CONFORMANCE_REAL_CLOCK=1 runs the Python side on the real clock instead
// of the virtual one (times rounded to 10 ms) as a cross-check.
//
// The Python side runs CPython's own event loop with a virtual clock (see
// py/harness.py): the selector, instead of sleeping until the next timer,
// moves the clock forward, which makes Python's traces as exact as duet's
// aio.WithVirtualClock and the suite fast.
//
// The reference is current CPython (3.12 and 3.13 semantics where they
// changed). A scenario whose reference behaviour needs a newer Python than
// the one found (Queue.shutdown and the Condition fix of gh-112202 are
// 3.13, wait_for on asyncio.timeout is 3.12) declares REQUIRES in its
// script and ships py/NAME.expected, the trace written from the newer
// version's documentation and checked by running it; a scenario where duet
// deliberately keeps an older behaviour declares MAX_PYTHON the same way.
// When an interpreter in range runs (for example CONFORMANCE_PYTHON set to
// a python3.13), its trace must equal the .expected file too. An
// interpreter older than 3.11 is treated like a missing one.
//
// A divergence that is duet's to fix is recorded in knownDiffs with the
// analysis, so that the suite stays green while it is open; a known
// divergence that stops diverging fails the suite until it is removed from
// the map.
//
// The package has no exported API; this file only documents it.
package conformance
