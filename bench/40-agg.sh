#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The aggregator's benchmark (issues 4 and 12, "Speed"): records/s of agg_add without and
# with the hosts x services table, and
# the time to close one step with 10,000 hosts, 100 services and all
# protocols, RRD files written directly and through a private rrdcached.
# Usage: bench/40-agg.sh (run by `make bench` through bench/run.sh)
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
T=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/aggbench.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -rf "$T"
}
trap cleanup EXIT

echo "== direct (librrd)"
"$O/tools/aggbench" -R "$T/direct"
mkdir -p "$T/cached" "$T/journal"
rrdcached -g -l "unix:$T/sock" -b "$T/cached" -B -F -j "$T/journal" -w 3600 -f 7200 \
    -p "$T/rrdcached.pid" >"$T/rrdcached.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$T/sock" ] && break; sleep 0.05; done
echo "== through rrdcached"
"$O/tools/aggbench" -R "$T/cached" -d "unix:$T/sock" -N 200000
