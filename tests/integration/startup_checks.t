#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Start-up checks of flowcollectd and flowagentx: what a config names on
# this machine is checked by -n and at start, and a bad value is an error
# that names the file and line (or the option): a spool or rrd-dir that is
# a regular file or on a read-only file system, a user that does not
# exist, a state file in a missing directory, an AgentX socket that is no
# address. The pid file is not left behind naming a process after a
# privilege drop; foreground logs carry a timestamp, unless stderr is the
# journal (JOURNAL_STREAM), which stamps lines itself.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/coll.sh"
FC=$BIN/flowcollectd
AGX=$BIN/flowagentx
[ "$(id -u)" = 0 ] || bail "needs root (mounts a read-only tmpfs, drops privileges)"
id nobody >/dev/null 2>&1 || bail "needs the user nobody"

RO=$T/ro
mkdir -p "$RO"
mount -t tmpfs -o ro,size=64k flowsnmp-test "$RO" || bail "cannot mount a read-only tmpfs on $RO"
trap 'umount -l "$RO"; _cleanup' EXIT
touch "$T/afile"
mkdir -p "$T/sp"

# check_fc NAME WANT LINES...: flowcollectd -n on a file of LINES exits 1 and prints WANT.
check_fc() {
    local name=$1 want=$2
    shift 2
    printf '%s\n' "# a comment first, so that line numbers count" "$@" >"$T/bad.conf"
    "$FC" -n -c "$T/bad.conf" >"$T/bad.out" 2>&1
    is "$?:$(cat "$T/bad.out")" "1:flowcollectd: $want" "flowcollectd -n: $name"
}
check_fc "spool is a regular file" "$T/bad.conf:2: spool: /etc/passwd: not a directory" \
    "spool /etc/passwd"
check_fc "spool whose parent is missing" \
    "$T/bad.conf:2: spool: $T/no/sp: $T/no: No such file or directory" "spool $T/no/sp"
check_fc "user that does not exist" "$T/bad.conf:3: user: user 'nosuchuser': no such user" \
    "spool $T/sp" "user nosuchuser"
check_fc "user root" "$T/bad.conf:3: user: user 'root' has uid 0: refusing to run as root" \
    "spool $T/sp" "user root"
check_fc "rrd-dir on a read-only file system" \
    "$T/bad.conf:4: rrd-dir: $RO/rrd: Read-only file system" "spool $T/sp" "rotate 60" "rrd-dir $RO/rrd"
check_fc "rrd-dir is a regular file" "$T/bad.conf:3: rrd-dir: $T/afile: not a directory" \
    "spool $T/sp" "rrd-dir $T/afile"
check_fc "rrd-dir below a regular file" "$T/bad.conf:3: rrd-dir: $T/afile/rrd: Not a directory" \
    "spool $T/sp" "rrd-dir $T/afile/rrd"
check_fc "state file in a missing directory" \
    "$T/bad.conf:3: state-file: $T/nodir: No such file or directory" "spool $T/sp" "state-file $T/nodir/state"
check_fc "spool not writable by the user" "$T/bad.conf:2: spool: $T/sp: not writable by nobody" \
    "spool $T/sp" "user nobody"
"$FC" -n -c "$T/bad.conf" -u nosuchuser >"$T/bad.out" 2>&1
is "$?:$(cat "$T/bad.out")" "1:flowcollectd: -u: user 'nosuchuser': no such user" \
    "flowcollectd -n: a bad -u names the option"
printf '%s\n' "spool $T/sp/new" "rrd-dir $T/sp/rrd/a/b" "state-file $T/sp/state" >"$T/good.conf"
"$FC" -n -c "$T/good.conf" >"$T/good.out" 2>&1
ok $? "flowcollectd -n: a spool and an rrd-dir still to be made are accepted" || diag_file "$T/good.out"
printf '%s\n' "spool $T/sp" "rrd-dir $RO/rrd" "rrdcached 192.0.2.1:42217" >"$T/remote.conf"
"$FC" -n -c "$T/remote.conf" >"$T/remote.out" 2>&1
ok $? "flowcollectd -n: rrd-dir is not checked for a remote rrdcached (it writes the files)" ||
    diag_file "$T/remote.out"

# The same checks stop a start (before detaching: the message reaches the terminal) and a replay.
printf '%s\n' "spool $T/sp" "rrd-dir $RO/rrd" "listen 127.0.0.1:$(free_port udp)" >"$T/ro.conf"
timeout 20 "$FC" -c "$T/ro.conf" >"$T/start.out" 2>&1
is "$?:$(cat "$T/start.out")" "1:flowcollectd: $T/ro.conf:2: rrd-dir: $RO/rrd: Read-only file system" \
    "flowcollectd: a read-only rrd-dir stops the start, exit 1"
: >"$T/empty.pcap"
"$FC" -c "$T/ro.conf" -r "$T/empty.pcap" >"$T/replay.out" 2>&1
is "$?:$(cat "$T/replay.out")" "1:flowcollectd: $T/ro.conf:2: rrd-dir: $RO/rrd: Read-only file system" \
    "flowcollectd -r: the same"

# flowagentx.
printf '%s\n' "# shared" "agentx-socket bogus" >"$T/agx.conf"
"$AGX" -n -c "$T/agx.conf" -S "$T/state" >"$T/agx.out" 2>&1
is "$?:$(cat "$T/agx.out")" \
    "1:flowagentx: $T/agx.conf:2: agentx-socket: 'bogus': use unix:/PATH, /PATH, tcp:HOST:PORT or tcp6:[ADDR]:PORT" \
    "flowagentx -n: an AgentX socket that is no address, with file and line"
for x in tcp:localhost unix:relative udp:127.0.0.1:705 tcp:127.0.0.1:70000; do
    "$AGX" -n -S "$T/state" -x "$x" >/dev/null 2>&1
    is "$?" 1 "flowagentx -n: -x $x is refused"
done
for x in unix:/var/agentx/master /var/agentx/master tcp:127.0.0.1:705 tcp:localhost:705 'tcp6:[::1]:705'; do
    "$AGX" -n -S "$T/state" -x "$x" >/dev/null 2>&1
    is "$?" 0 "flowagentx -n: -x $x is accepted"
done
"$AGX" -n -S "$T/nodir/state" >"$T/agx.out" 2>&1
is "$?:$(cat "$T/agx.out")" "1:flowagentx: state-file $T/nodir/state: $T/nodir: No such file or directory" \
    "flowagentx -n: a state file in a missing directory"
"$AGX" -n -S "$T/state" -u nosuchuser >"$T/agx.out" 2>&1
is "$?:$(cat "$T/agx.out")" "1:flowagentx: agentx-user: user 'nosuchuser': no such user" \
    "flowagentx -n: a user that does not exist"
timeout 10 "$AGX" -d -S "$T/nodir/state" >"$T/agx.out" 2>&1
is "$?" 1 "flowagentx: a state file in a missing directory stops the start"

# Pid files and a privilege drop: the user cannot remove the file from a directory
# only root may write; it is emptied instead (it names no process), and that is
# said at start. From a directory the user may write, it is removed.
chmod 755 "$T"
chown nobody "$T/sp"
mkdir -p "$T/run" "$T/userrun"
chown nobody "$T/userrun"
# pidfile_case NAME DIR: flowcollectd as nobody with its pid file in DIR, stopped;
# LEFT says what is left of the pid file.
pidfile_case() {
    local port
    port=$(free_port udp)
    LEFT="not started"
    coll_conf "$T/$1.conf" "$T/sp" "listen 127.0.0.1:$port" "user nobody" "pidfile $2/fc.pid"
    coll_start "$T/$1.log" "$T/$1.conf" || { diag_file "$T/$1.log"; return 1; }
    [ "$(cat "$2/fc.pid")" = "$COLL_PID" ] || diag "pid file: '$(cat "$2/fc.pid")', want $COLL_PID"
    coll_stop
    if [ -e "$2/fc.pid" ]; then LEFT="left, $(wc -c <"$2/fc.pid") bytes"; else LEFT=removed; fi
}
pidfile_case root "$T/run"
is "$LEFT" "left, 0 bytes" "flowcollectd -u nobody, pid file in a root-only directory: emptied at exit"
grep -q "pid file $T/run/fc.pid: its directory is not writable by nobody, so it will be emptied" "$T/root.log"
ok $? "... and said so at start"
pidfile_case user "$T/userrun"
is "$LEFT" "removed" "flowcollectd -u nobody, pid file in a directory of nobody: removed at exit"
! grep -q "pid file" "$T/user.log"
ok $? "... without a warning"
start_bg "$T/agxpid.log" "$AGX" -d -S "$T/state" -x "unix:$T/no-snmpd.sock" -u nobody -p "$T/run/agx.pid"
agx=$BG_PID
wait_for 10 grep -q "serving" "$T/agxpid.log"
ok $? "flowagentx -u nobody starts (no snmpd needed)" || diag_file "$T/agxpid.log"
is "$(cat "$T/run/agx.pid")" "$agx" "flowagentx: its pid file names it"
stop_pid "$agx"
is "$(wc -c <"$T/run/agx.pid")" 0 "flowagentx -u nobody, pid file in a root-only directory: emptied at exit"

# Timestamps in the foreground log: "YYYY-MM-DDTHH:MM:SS.mmm+ZZZZ flowcollectd: ...".
stamped='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4} flowcollectd: '
n=$(grep -c "flowcollectd: " "$T/user.log")
is "$(grep -cE "$stamped" "$T/user.log")" "$n" "foreground: all $n log lines carry a timestamp"
# With stderr on the journal, systemd sets JOURNAL_STREAM to its device:inode. (A replay
# of a file that is no capture: one line logged, then exit 1.)
printf 'spool %s\n' "$T/sp" >"$T/log.conf"
: >"$T/journal.log"
exec 3>"$T/journal.log"
js=$(stat -c '%d:%i' "$T/journal.log")
JOURNAL_STREAM=$js "$FC" -c "$T/log.conf" -r "$T/empty.pcap" 2>&3
exec 3>&-
grep -q "^flowcollectd: $T/empty.pcap" "$T/journal.log"
ok $? "stderr on the journal (JOURNAL_STREAM=$js): no timestamp" || diag_file "$T/journal.log"
JOURNAL_STREAM=$js "$FC" -c "$T/log.conf" -r "$T/empty.pcap" >"$T/other.log" 2>&1
grep -qE "${stamped}$T/empty.pcap" "$T/other.log"
ok $? "JOURNAL_STREAM naming another stream: timestamps" || diag_file "$T/other.log"
done_testing
