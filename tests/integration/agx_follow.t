#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# flowagentx over time: it is back within 10 s after snmpd restarts; it shows values,
# new rows and removed rows as the writer changes the state file, without a restart;
# counters read through SNMP never decrease and rows are never torn while a writer
# increments them; it keeps serving the last figures when the file disappears or is
# replaced by garbage, follows a new file (new discontinuity time), survives the file
# being truncated under its mapping, and picks the file up when it appears only after
# the subagent started.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/snmp.sh"
R=$FLOWSNMP_ROOT
SW=$TOOLS/statewriter
H5=$R.1.3.1.3.1.4.10.1.0.5   # flowHostInOctets of 10.1.0.5

# wait_value SECONDS OID WANT: polls until the OID's value is WANT.
wait_value() {
    local secs=$1 oid=$2 want=$3 end
    end=$((SECONDS + secs))
    until [ "$(snmp_value "$oid")" = "$want" ]; do
        [ $SECONDS -ge "$end" ] && return 1
        sleep 0.1
    done
}
# hexdt T: a DateAndTime as snmpget -Oqv prints it, from date(1).
hexdt() {
    local y m d H M S
    read -r y m d H M S < <(date -u -d "@$1" '+%Y %-m %-d %-H %-M %-S')
    printf '"%02X %02X %02X %02X %02X %02X %02X 00 2B 00 00 "' $((y >> 8)) $((y & 255)) \
        "$m" "$d" "$H" "$M" "$S"
}

"$SW" -e 'create hosts=16 created=1790000000 discontinuity=1790000000 software="gen1"' \
    -e 'header updated=1790000500' \
    -e 'host 10.1.0.5 in_octets=100' -e 'host 10.1.0.6 in_octets=200' \
    -e 'scalar records=10' "$T/state"
ok $? "first state file"
start_snmpd
start_agx "$T/state"
wait_oid 20 "$R.1.1.11.0"
ok $? "the subagent registered" || diag_file "$T/agx.log"
is "$(snmp_value "$H5")" 100 "initial value"

# 1. snmpd restarts: the subagent reconnects within 10 s.
stop_snmpd
start_snmpd
t0=$SECONDS
wait_oid 10 "$H5"
ok $? "back within 10 s after an snmpd restart (took about $((SECONDS - t0)) s)" ||
    diag_file "$T/agx.log"
is "$(snmp_value "$H5")" 100 "same value after the restart"

# 2. Changes in the file show without a restart.
"$SW" -e 'host 10.1.0.5 in_octets=5555' "$T/state"
wait_value 10 "$H5" 5555
ok $? "an updated value shows"
"$SW" -e 'host 10.1.0.99 in_octets=42' "$T/state"
wait_value 10 "$R.1.3.1.3.1.4.10.1.0.99" 42
ok $? "a new row shows"
"$SW" -e 'del host 10.1.0.99' "$T/state"
wait_value 10 "$R.1.3.1.3.1.4.10.1.0.99" "No Such Instance currently exists at this OID"
ok $? "a removed row disappears"
is "$(snmpgetnext "${SNMPOPTS[@]}" -On -Oq "$SNMP_AGENT" "$R.1.3.1.3.1.4.10.1.0.6" | cut -d' ' -f1)" \
    ".$R.1.3.1.4.1.4.10.1.0.5" "a walk no longer returns the removed row"

# 3. A writer increments a fresh row while we read it: in_octets = 1000 x in_packets and
# out_octets = 2000 x in_packets in every consistent copy of the row; the writer pauses
# 200 us between fields (holding the row), so a reader that ignored the seqlock would
# see torn rows.
"$SW" -e 'host 10.1.0.7 in_octets=0 out_octets=0 in_packets=0' "$T/state"
wait_value 10 "$R.1.3.1.5.1.4.10.1.0.7" 0
N=400
start_bg "$T/writer.log" "$SW" -r $N -i 2 -w 200 \
    -e 'host 10.1.0.7 in_octets+=1000 in_packets+=1 out_octets+=2000' -e 'scalar records+=1' \
    "$T/state"
WPID=$BG_PID
: >"$T/samples"
for i in $(seq 1 2000); do
    snmpget "${SNMPOPTS[@]}" -Oqv "$SNMP_AGENT" "$R.1.3.1.3.1.4.10.1.0.7" \
        "$R.1.3.1.5.1.4.10.1.0.7" "$R.1.3.1.4.1.4.10.1.0.7" "$R.1.1.11.0" 2>&1 |
        paste -sd' ' >>"$T/samples"
    kill -0 "$WPID" 2>/dev/null || break
done
wait "$WPID"
ok $? "the writer ran to its end"
diag "$(wc -l <"$T/samples") samples while the writer ran"
awk 'NF != 4 || $1 != 1000 * $2 || $3 != 2000 * $2 { print "torn or failed: " $0; bad = 1 }
     NR > 1 && ($1 < p1 || $2 < p2 || $3 < p3 || $4 < p4) { print "decreased: " prev " -> " $0; bad = 1 }
     { p1 = $1; p2 = $2; p3 = $3; p4 = $4; prev = $0 }
     END { exit bad }' "$T/samples" >"$T/bad"
ok $? "no sample torn, none decreased" || diag_file "$T/bad"
is "$(awk '$2 > 0 && $2 < '$N' { n++ } END { print (n > 0) }' "$T/samples")" 1 \
    "samples were taken while the writer was in the middle"
is "$(snmp_value "$R.1.3.1.5.1.4.10.1.0.7")" $N "final in_packets = $N increments"
is "$(snmp_value "$R.1.3.1.3.1.4.10.1.0.7")" $((N * 1000)) "final in_octets"
is "$(snmp_value "$R.1.1.11.0")" $((10 + N)) "final records scalar"

# 4. The collector is gone and its file with it: the last figures are still served,
# flowLastUpdate saying how old they are.
updated=$(snmp_value "$R.1.1.4.0")
rm -f "$T/state"
wait_for 10 grep -q "does not exist" "$T/agx.log"
ok $? "the subagent noticed that the file is gone"
is "$(snmp_value "$H5")" 5555 "stale value still served"
is "$(snmp_value "$R.1.1.4.0")" "$updated" "flowLastUpdate unchanged (stale)"

# 5. Garbage where the file was: still the last good figures.
head -c 10000 /dev/urandom >"$T/garbage" && mv "$T/garbage" "$T/state"
wait_for 10 grep -q "not a file of the expected format\|not a state file" "$T/agx.log"
ok $? "the subagent noticed the invalid file" || diag_file "$T/agx.log"
is "$(snmp_value "$H5")" 5555 "last good value still served"

# 6. The collector creates a new file: a new discontinuity, the new values.
"$SW" -e 'create hosts=16 created=1800000000 discontinuity=1800000000 software="gen2"' \
    -e 'host 10.1.0.5 in_octets=7' "$T/state.new" && mv "$T/state.new" "$T/state"
wait_value 10 "$R.1.1.3.0" "$(hexdt 1800000000)"
ok $? "flowCounterDiscontinuityTime changed to the new file's"
is "$(snmp_value "$H5")" 7 "values follow the new file"
is "$(snmp_value "$R.1.3.1.3.1.4.10.1.0.6")" "No Such Instance currently exists at this OID" \
    "rows of the old file are gone"
is "$(snmp_value "$R.1.1.1.0")" '"gen2"' "software version of the new file"

# 7. The file truncated in place under the mapping (a misbehaving writer): no crash,
# and the figures come back when the file is whole again.
cp "$T/state" "$T/state.copy"
: >"$T/state"
for i in $(seq 1 20); do snmp_value "$H5" >/dev/null; sleep 0.1; done
kill -0 "$AGX_PID"
ok $? "the subagent survives its file being truncated"
cat "$T/state.copy" >"$T/state"
wait_value 10 "$H5" 7
ok $? "values back once the file (same inode) is whole again"

# 7b. A writer that re-creates the file in place (same inode, same size) rather than
# replacing it: the new creation time makes the subagent take it as a new file.
"$SW" -e 'create hosts=16 created=1810000000 discontinuity=1810000000 software="gen3"' \
    -e 'host 10.1.0.9 in_octets=99' "$T/inplace"
cat "$T/inplace" >"$T/state"
wait_value 10 "$R.1.3.1.3.1.4.10.1.0.9" 99
ok $? "a file re-created in place is followed"
is "$(snmp_value "$R.1.1.3.0")" "$(hexdt 1810000000)" "with its discontinuity time"
is "$(snmp_value "$R.1.1.1.0")" '"gen3"' "and its software version"

# 8. Started before the collector ever wrote its file.
stop_pid "$AGX_PID"
rm -f "$T/late"
AGX_LOG=$T/agx2.log start_agx "$T/late"
wait_for 10 grep -q "does not exist" "$T/agx2.log"
ok $? "a missing file is reported" || diag_file "$T/agx2.log"
wait_for 10 bash -c "snmpgetnext -v2c -c public -On -Oq $SNMP_AGENT $R | grep -qv '^\.$R\.'"
ok $? "nothing served while there is no file" || snmpgetnext "${SNMPOPTS[@]}" -On "$SNMP_AGENT" "$R"
"$SW" -e 'create hosts=4 software="late"' -e 'host 10.1.0.5 in_octets=31' "$T/late"
wait_value 10 "$H5" 31
ok $? "the file is picked up once it appears"

grep -q "registering pdu failed" "$T/agx.log" "$T/agx2.log"
ok $((!$?)) "no failed registration in the subagent's logs"
done_testing
