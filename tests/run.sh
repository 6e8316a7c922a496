#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test through prove: the C unit tests, the fuzz corpus replays
# and the integration scripts. Called by `make check` / `make test`.
# Usage: tests/run.sh [TEST...]   (default: all)
set -u
cd "$(dirname "$0")/.." || exit 1
O=${O:-build}
export O FSN_ROOT=$PWD
# Under SANITIZE=1: leaks inside librrd and the font libraries it draws with
# are not ours (see the file); our own leaks still fail the tests.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lib/lsan-librrd.supp:print_suppressions=0}

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
