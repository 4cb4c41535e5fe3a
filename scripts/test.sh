#!/usr/bin/env bash
# The project's test command (README quick start). Installs what it needs,
# then runs formatting and vet checks, the race-enabled test suite, the
# large-scale tests that cannot run under the race detector, and a short
# seed run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 not found: installing it for the CPython conformance suite"
  apt-get update -qq && apt-get install -y -qq python3 >/dev/null
fi

# The live inspection page is tested in a real headless browser.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: installing Debian's for the inspection page's browser test"
  { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; }
fi
# duet monitor is tested in a real terminal, tmux.
if ! command -v tmux >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "tmux not found: installing it for duet monitor's terminal test"
  { apt-get install -y -qq tmux >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }; }
fi
export DUET_REQUIRE_BROWSER=1 DUET_REQUIRE_TMUX=1   # those tests fail instead of skipping
export DUET_ARTIFACTS="${DUET_ARTIFACTS:-$PWD/.artifacts}" # the page's screenshot lands here

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

echo "== go vet"
go vet ./...
(cd cmd/duet && go vet ./...)

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

# TestStressConnectChurn runs for ten seconds here (issue 8's figure; three
# by default, for a quick go test ./aio).
export DUET_CHURN_SECONDS="${DUET_CHURN_SECONDS:-10}"
# Without the race detector: the large-scale tests (it caps live goroutines
# at 8128) and those that measure stacks or allocations, which it changes
# (each such file is built !race).
echo "== large-scale and memory tests (no race detector)"
go test -count=1 -timeout 15m -run 'Large|Stress|Million|IdleHandlerStack|AllocatesNothing' ./...

echo "== cmd/duet (the duet command, a module of its own)"
(cd cmd/duet && go test -race -count=1 -timeout 10m ./...)

echo "== remote module (its own go.mod, so NATS stays out of the root's)"
(cd remote && go vet ./... && go test -race -count=1 -timeout 10m ./...)
