#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test through prove: the C unit tests, the fuzz corpus replays
# and the integration scripts. Called by `make check` / `make test`.
# Usage: tests/run.sh [TEST...]   (default: all)
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
export O FSN_ROOT=$PWD

if [ $# -gt 0 ]; then
    tests=("$@")
else
    tests=()
    for t in "$O"/tests/unit/test_* "$O"/tests/fuzz/fuzz_* tests/integration/*.t; do
        case $t in *.o|*.d) continue ;; esac
        [ -x "$t" ] && tests+=("$t")
    done
fi
if [ ${#tests[@]} -eq 0 ]; then
    echo "no tests found" >&2
    exit 1
fi
# Two jobs: CI has two cores; every test picks its own ports and temp dir.
exec prove --exec '' --jobs "${FSN_TEST_JOBS:-2}" --timer "${tests[@]}"
