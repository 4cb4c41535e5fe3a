#!/usr/bin/env bash
# Runs every duetbench workload with duet, its Go peers (ants, conc,
# errgroup, goroutines) and CPython (asyncio, concurrent.futures; and
# uvloop when Debian's python3-uvloop is importable by /usr/bin/python3) on
# this machine, in this run, and prints the comparison table. The report is
# also saved under bench/results/ (git-ignored).
#
#   bash bench/run.sh                  # everything (about 15 minutes on 2 cores; echo, idle and churn take most)
#   bash bench/run.sh -only spawn_await,sleep_zero
#   bash bench/run.sh -workers 16      # one-per-core pools of 16 (default GOMAXPROCS)
#   bash bench/run.sh -quick           # checks the driver only: tiny sizes
#   bash bench/run.sh -only echo       # TCP echo servers: duet's (examples/echo) and the peers, req/s, latency, CPU/req
#   bash bench/run.sh -only udp        # UDP echo servers: duet's DatagramProtocol and PacketConn, Go net, asyncio (uvloop), datagrams/s, CPU/datagram
#   bash bench/run.sh -only idle       # the same servers holding 10,000 idle connections, and the max-connections probe
#   bash bench/run.sh -only subprocess_echo # spawn /bin/echo + Communicate per child, against os/exec, asyncio and uvloop
#   bash bench/run.sh -only churn      # a minute of connects and disconnects per duet server: conns/s, sockets and goroutines before/after (-churn-peers: the peers too)
#   bash bench/run.sh -only echo -server-cpu 0 -load-cpu 1   # the pinning (taskset -c), the defaults
#   bash bench/run.sh -only loops -loops 1,2,4,8 -server-cpus 0-7   # one address from N loops vs gnet (N loops) and net (GOMAXPROCS=N)
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p results
go build -o results/duetbench ./cmd/duetbench
go build -o results/echopeer ./cmd/echopeer

# uvloop is Debian's python3-uvloop, for /usr/bin/python3; the load
# generator pins with taskset (util-linux). Install what is missing when
# apt can; a server that still cannot start is reported as skipped.
need=()
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import uvloop' 2>/dev/null; then need+=(python3-uvloop); fi
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "run.sh: installing ${need[*]} with apt-get" >&2
	apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; } ||
		echo "run.sh: could not install ${need[*]}; the rows that need them are skipped" >&2
fi
exec results/duetbench compare -pydir python -out "results/$(date +%Y%m%d-%H%M%S).txt" "$@"
