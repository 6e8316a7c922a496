#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowagentx's command line and config file: --help, -V, errors, -n with a config file
# shared with other programs (their directives ignored, ours checked, the command line
# winning), and a detached run with a pid file that serves and stops on SIGTERM.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
AGX=$BIN/flowagentx
R=$FLOWSNMP_ROOT

out=$("$AGX" --help 2>&1)
ok $? "--help exits 0"
for o in -S -x -c -d -u -p -i -n -V state-file agentx-socket agentx-ping-interval; do
    grep -q -- "$o" <<<"$out"
    ok $? "--help mentions $o"
done
out=$("$AGX" -V 2>&1)
ok $? "-V exits 0"
grep -q "^flowagentx [0-9]" <<<"$out"
ok $? "-V prints the version ($out)"
"$AGX" --no-such-option >/dev/null 2>&1
is $? 2 "an unknown option exits 2"
"$AGX" -d >"$T/err" 2>&1
is $? 2 "no state file exits 2"
grep -q "state" "$T/err"
ok $? "and says so"
"$AGX" -S /x -i 0 >/dev/null 2>&1
is $? 2 "ping interval 0 is refused"

cat >"$T/flowsnmp.conf" <<EOF
# shared with flowcollectd: its directives are not ours
local-network 10.0.0.0/8 lan
service https tcp/443 udp/443
step 300
state-file $T/state
agentx-socket tcp:127.0.0.1:705
agentx-ping-interval 5
EOF
out=$("$AGX" -n -c "$T/flowsnmp.conf" 2>&1)
ok $? "-n accepts a shared config" || diag "$out"
is "$out" "state-file $T/state
agentx-socket tcp:127.0.0.1:705
agentx-ping-interval 5" "settings from the config"
out=$("$AGX" -n -c "$T/flowsnmp.conf" -S /tmp/other -x unix:/tmp/s -i 3 2>&1)
is "$out" "state-file /tmp/other
agentx-socket unix:/tmp/s
agentx-ping-interval 3" "the command line wins"
printf 'step 300\nagentx-sockt /tmp/x\n' >"$T/typo.conf"
out=$("$AGX" -n -c "$T/typo.conf" 2>&1)
is $? 1 "a misspelt agentx- directive is an error"
grep -q "typo.conf:2:" <<<"$out"
ok $? "reported as FILE:LINE ($out)"
printf 'agentx-ping-interval 0\n' >"$T/bad.conf"
"$AGX" -n -c "$T/bad.conf" >/dev/null 2>&1
is $? 1 "a bad value is an error"
"$AGX" -n -c "$T/missing.conf" >/dev/null 2>&1
is $? 1 "a missing config file is an error"

# Detached, with a pid file: serves, and stops on SIGTERM, removing the pid file.
"$TOOLS/statewriter" -e 'create hosts=4' -e 'scalar records=77' "$T/state"
start_snmpd
"$AGX" -S "$T/state" -x "unix:$AGENTX_SOCK" -i 1 -p "$T/agx.pid"
ok $? "detached start returns 0"
wait_for 10 test -s "$T/agx.pid"
ok $? "pid file written"
pid=$(cat "$T/agx.pid")
_bg_pids+=("$pid")
kill -0 "$pid" 2>/dev/null
ok $? "the daemon runs (pid $pid)"
[ "$(ps -o sid= -p "$pid")" != "$(ps -o sid= -p $$)" ]
ok $? "it runs in a session of its own"
wait_oid 20 "$R.1.1.11.0"
ok $? "the detached subagent serves"
is "$(snmp_value "$R.1.1.11.0")" 77 "value served"
kill "$pid"
wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
ok $? "SIGTERM stops it within 5 s"
[ ! -e "$T/agx.pid" ]
ok $? "pid file removed"

# The sample snmpd.conf snippet works as shipped, with only the socket path, the socket's
# owner and the manager's network adapted to the test: the MIB is served, other MIBs
# are outside the view.
stop_snmpd
SNMP_PORT=
sed -e "s|unix:/var/agentx/master|unix:$T/snmpd2/agentx.sock|" \
    -e "s|^agentXPerms .*|agentXPerms 0666 0777|" \
    -e "s|192.0.2.0/24|127.0.0.1|" "$FSN_ROOT/conf/snmpd.conf.snippet" >"$T/snippet.conf"
start_snmpd "$T/snmpd2" "$T/snippet.conf"
AGX_LOG=$T/agx2.log start_agx "$T/state"
wait_oid 20 "$R.1.1.11.0"
ok $? "flowagentx serves through snmpd configured with conf/snmpd.conf.snippet" ||
    diag_file "$T/snmpd2/snmpd.log"
is "$(snmp_value "$R.1.1.11.0")" 77 "value served through the snippet's view"
is "$(snmp_value 1.3.6.1.6.3.1.1.6.1.0)" "No Such Object available on this agent at this OID" \
    "an object outside the view is not"
done_testing
