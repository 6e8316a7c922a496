# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the integration tests (bash, TAP output).
# Source it first thing: `. "$(dirname "$0")/../lib/common.sh"`.
# Gives: a private temp dir ($T) removed at exit, daemons started with
# start_bg and stopped by PID at exit (also on failure), free ports,
# polling waits bounded in time, and TAP checks.

set -u
FSN_ROOT=${FSN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
O=${O:-build}
case $O in /*) ;; *) O=$FSN_ROOT/$O ;; esac
BIN=$O/bin
TOOLS=$O/tools
SHARED=${FSN_SHARED:-$FSN_ROOT/../shared}
DATA=$SHARED/data

T=$(mktemp -d "${TMPDIR:-/tmp}/flowsnmp-test.XXXXXX")
_tap_n=0
_tap_failed=0
_bg_pids=()

_cleanup() {
    local pid i
    for ((i = ${#_bg_pids[@]} - 1; i >= 0; i--)); do
        pid=${_bg_pids[i]}
        kill "$pid" 2>/dev/null
    done
    for pid in "${_bg_pids[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null
    done
    if [ -n "${FSN_KEEP_TMP:-}" ]; then echo "# kept $T" >&2; else rm -rf "$T"; fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

ok() {          # ok COND-EXIT-STATUS NAME...   e.g.  ok $? "parsed"
    local rc=$1; shift
    _tap_n=$((_tap_n + 1))
    if [ "$rc" -eq 0 ]; then
        echo "ok $_tap_n - $*"
    else
        echo "not ok $_tap_n - $*"
        _tap_failed=$((_tap_failed + 1))
    fi
    return "$rc"
}

is() {          # is GOT WANT NAME...
    local got=$1 want=$2; shift 2
    if [ "$got" = "$want" ]; then ok 0 "$@"; else
        ok 1 "$@"; echo "#   got:  '$got'"; echo "#   want: '$want'"; return 1
    fi
}

skip() {        # skip REASON NAME...
    local why=$1; shift
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $* # SKIP $why"
}

diag() { echo "# $*"; }

# Prints a file as TAP diagnostics (for logs of a failed step).
diag_file() { [ -f "$1" ] && sed 's/^/#   /' "$1" | tail -n "${2:-40}"; }

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
    exit $?
}

bail() { echo "Bail out! $*"; exit 1; }

# start_bg LOGFILE CMD...: starts a daemon in the background, remembers its PID
# in $BG_PID and in the stop-at-exit list.
start_bg() {
    local log=$1; shift
    "$@" >"$log" 2>&1 </dev/null &
    BG_PID=$!
    _bg_pids+=("$BG_PID")
}

# stop_pid PID: SIGTERM, then wait (bounded) for it to end; returns its status.
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds or time runs out.
wait_for() {
    local secs=$1; shift
    local end=$((SECONDS + secs))
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge "$end" ] && return 1
        sleep 0.05
    done
}

# free_port udp|tcp: prints a port on 127.0.0.1 nobody listens on now.
free_port() {
    local proto=${1:-udp} p i flag=-lun
    [ "$proto" = tcp ] && flag=-ltn
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! ss -H $flag "sport = :$p" 2>/dev/null | grep -q .; then
            echo "$p"; return 0
        fi
    done
    return 1
}

# have_data FILE: true when ../shared/data has it (CI does; a clone elsewhere may not).
have_data() { [ -f "$DATA/$1" ]; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || bail "missing command $1 (run scripts/deps.sh)"; }
