#!/usr/bin/env bash
# Runs every duetbench workload with duet, its Go peers (ants, conc,
# errgroup, goroutines) and CPython (asyncio, concurrent.futures; and
# uvloop when Debian's python3-uvloop is importable by /usr/bin/python3) on
# this machine, in this run, and prints the comparison table. The report is
# also saved under bench/results/ (git-ignored).
#
#   bash bench/run.sh                  # everything (about two minutes on 2 cores)
#   bash bench/run.sh -only spawn_await,sleep_zero
#   bash bench/run.sh -workers 16      # one-per-core pools of 16 (default GOMAXPROCS)
#   bash bench/run.sh -quick           # checks the driver only: tiny sizes
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
go build -o results/duetbench ./cmd/duetbench
exec results/duetbench compare -pydir python -out "results/$(date +%Y%m%d-%H%M%S).txt" "$@"
