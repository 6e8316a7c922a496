#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `make bench`: runs every bench/*.sh part in turn. Each part generates its
# own input, runs flowsnmp and the peers on the same input in the same run,
# and prints rates and ratios. Work files go to $BENCH_DIR (default: a
# temp dir, removed afterwards; set BENCH_KEEP=1 to keep it).
set -u
cd "$(dirname "$0")/.." || exit 1
export O=${O:-build} FSN_ROOT=$PWD
export BENCH_DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/flowsnmp-bench.XXXXXX")}
status=0
# The receivers ask for 8 MB socket buffers (nfcapd -B, flowcollectd as root
# forces them); a lower net.core.rmem_max caps nfcapd's, and unpaced runs
# then lose datagrams in the peer, not in flowsnmp: the records columns
# show it.
rmem=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 0)
if [ "$rmem" -lt 8388608 ]; then
    echo "note: net.core.rmem_max is $rmem; nfcapd's socket buffer is capped there and it may lose"
    echo "      datagrams in unpaced runs (sysctl -w net.core.rmem_max=8388608 for comparable figures)"
fi
for part in bench/[0-9]*.sh; do
    echo "=== $part"
    bash "$part" || status=1
done
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$BENCH_DIR"
exit $status
