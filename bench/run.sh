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
for part in bench/[0-9]*.sh; do
    echo "=== $part"
    bash "$part" || status=1
done
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$BENCH_DIR"
exit $status
