#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcollectd's command line and configuration: the sample conf/flowsnmp.conf
# parses (flowcollectd -n) and its generated part is what --help-config
# prints; the same file is accepted by flowagentx (a shared file); errors
# name the file and line; --help and --version work.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
FC=$BIN/flowcollectd
SAMPLE=$FSN_ROOT/conf/flowsnmp.conf

# -n also checks the directories the file names: the sample's, below $T.
V=$T/var/lib/flowsnmp
mkdir -p "$V"
sed "s#/var/lib/flowsnmp#$V#g" "$SAMPLE" >"$T/sample.conf"
"$FC" -n -c "$T/sample.conf" >"$T/n.out" 2>&1
ok $? "flowcollectd -n -c conf/flowsnmp.conf exits 0" || diag_file "$T/n.out"
grep -q "OK: 1 listen address, spool $V/spool" "$T/n.out"
ok $? "-n reports the settings it read"
sed -n '/^# >>> flowcollectd --help-config$/,/^# <<< flowcollectd --help-config$/p' "$SAMPLE" |
    sed '1d;$d' >"$T/generated"
"$FC" --help-config >"$T/help-config"
cmp -s "$T/generated" "$T/help-config"
ok $? "the sample's directive list is what --help-config prints (regenerate it if not)" ||
    diff "$T/generated" "$T/help-config" | head -10 | sed 's/^/#   /'
# Every directive of the table is documented in flowsnmp.conf(5) (as a tagged paragraph).
awk '/^\.B[IR]? / { w = $2; gsub(/"/, "", w); gsub(/\\-/, "-", w); print w }' \
    "$FSN_ROOT/man/flowsnmp.conf.5" | sort -u >"$T/man-words"
for d in $(awk '/^# [a-z-]+( |$)/ { print $2 }' "$T/help-config" | sort -u); do
    grep -qx -- "$d" "$T/man-words"
    ok $? "flowsnmp.conf(5) documents $d"
done
if [ -x "$BIN/flowagentx" ]; then
    "$BIN/flowagentx" -n -c "$T/sample.conf" >"$T/agx.out" 2>&1
    ok $? "flowagentx -n accepts the same file" || diag_file "$T/agx.out"
    grep -q "state-file $V/state" "$T/agx.out"
    ok $? "flowagentx reads its state-file from it"
fi

# The agentx-* lines belong to flowagentx: flowcollectd leaves them alone.
printf 'spool %s\nagentx-socket tcp:127.0.0.1:705\n  agentx-ping-interval 5\nstate-file %s\n' "$T/sp" "$T/st" >"$T/shared.conf"
"$FC" -n -c "$T/shared.conf" >/dev/null 2>&1
ok $? "agentx-* directives are ignored by flowcollectd"

# Errors: FILE:LINE: message, exit 1.
check_err() {   # check_err NAME WANT_REGEX LINES...
    local name=$1 want=$2
    shift 2
    printf '%s\n' "$@" >"$T/bad.conf"
    "$FC" -n -c "$T/bad.conf" >"$T/bad.out" 2>&1
    is "$?" 1 "$name: exit status 1"
    grep -qE "$want" "$T/bad.out"
    ok $? "$name: message '$want'" || diag_file "$T/bad.out"
}
check_err "unknown directive" "bad.conf:2: unknown directive 'lisen'" "spool /tmp" "lisen 0.0.0.0:2055"
check_err "no spool" "no spool directory" "listen 0.0.0.0:2055"
check_err "bad listen" "bad.conf:1: listen: '2001:db8::1:2055' is not ADDR:PORT" "listen 2001:db8::1:2055" "spool /tmp"
check_err "bad allow" "bad.conf:2: allow: '192.0.2.1/24'" "spool /tmp" "allow 192.0.2.0/24 192.0.2.1/24"
check_err "rotate range" "bad.conf:2: rotate:" "spool /tmp" "rotate 2d"
check_err "aggregator directive" "bad.conf:2: step:" "spool /tmp" "step 5x"
check_err "repeated" "bad.conf:3: 'spool' given again" "spool /tmp" "rotate 60" "spool /var"
check_err "log level" "bad.conf:2: log-level:" "spool /tmp" "log-level loud"
"$FC" -n -c "$T/nonexistent.conf" >"$T/bad.out" 2>&1
is "$?" 1 "missing config file: exit status 1"

"$FC" --help >"$T/help" 2>&1
ok $? "--help exits 0"
grep -q "expire-size BYTES" "$T/help"
ok $? "--help lists the directives"
"$FC" --version | grep -q "^flowcollectd "
ok $? "--version"
"$FC" >/dev/null 2>&1
is "$?" 2 "no -c: usage error"
"$FC" -c "$SAMPLE" extra >/dev/null 2>&1
is "$?" 2 "stray argument: usage error"

# A spool whose parent does not exist stops the start with a message.
printf 'spool %s\nlisten 127.0.0.1:0\n' "$T/nope/spool" >"$T/nospool.conf"
"$FC" -d -c "$T/nospool.conf" >"$T/nospool.out" 2>&1
is "$?" 1 "a spool directory that cannot be made: exit status 1"
grep -q "spool: $T/nope/spool" "$T/nospool.out"
ok $? "... and the message names it"
# A missing spool directory itself is made.
printf 'spool %s\n' "$T/newspool" >"$T/newspool.conf"
"$TOOLS/nfsend" -f 5 -w "$T/one.pcap" -n 30 >/dev/null
"$FC" -c "$T/newspool.conf" -r "$T/one.pcap" >"$T/newspool.out" 2>&1
ok $([ -d "$T/newspool" ] && ls "$T/newspool" | grep -q '\.fsn$'; echo $?) "a missing spool directory is made at start"

# user: privileges go after binding; what the collector writes belongs to that user.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chmod 755 "$T"
    port=$(free_port udp)
    mkdir -p "$T/usp"
    chown nobody "$T/usp"
    coll_conf "$T/user.conf" "$T/usp" "listen 127.0.0.1:$port" "user nobody"
    coll_start "$T/user.log" "$T/user.conf"
    ok $? "user nobody: starts" || diag_file "$T/user.log"
    wait_for 10 sh -c "ls '$T/usp' | grep -q 'fsn.tmp'"
    is "$(stat -c %U "$T"/usp/flows-*.fsn.tmp 2>/dev/null)" nobody "user nobody: the flow file belongs to nobody"
    is "$(ps -o user= -p "$COLL_PID" | tr -d ' ')" nobody "user nobody: the daemon runs as nobody"
    coll_stop
    mkdir -p "$T/rsp"
    chmod 755 "$T/rsp"
    coll_conf "$T/user2.conf" "$T/rsp" "listen 127.0.0.1:$port" "user nobody"
    "$FC" -d -c "$T/user2.conf" >"$T/user2.out" 2>&1
    is "$?" 1 "user nobody, a spool it cannot write: exit status 1"
    grep -q "not writable" "$T/user2.out"
    ok $? "... with a message naming the spool" || diag_file "$T/user2.out"
else
    skip "not root" "user"
fi

# Detached start: the parent returns once the daemon is ready, and the pid file is written.
port=$(free_port udp)
coll_conf "$T/bg.conf" "$T/bg" "listen 127.0.0.1:$port" "pidfile $T/fc.pid"
"$FC" -c "$T/bg.conf"
ok $? "detached start returns 0"
pid=$(cat "$T/fc.pid" 2>/dev/null)
ok $([ -n "$pid" ] && kill -0 "$pid"; echo $?) "the pid file names the running daemon"
_bg_pids+=("$pid")
"$FC" -c "$T/bg.conf" >"$T/second.out" 2>&1
is "$?" 1 "a second instance with the same pid file refuses to start"
kill "$pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
ok $? "SIGTERM stops the daemon"
ok $([ ! -e "$T/fc.pid" ]; echo $?) "the pid file is removed"
done_testing
