# SPDX-License-Identifier: BSD-2-Clause
# SNMP helpers for the integration tests; source after common.sh:
#   . "$(dirname "$0")/../lib/common.sh"; . "$(dirname "$0")/../lib/snmp.sh"
#
# start_snmpd [DIR [BODY]]  a private snmpd in DIR (default $T/snmpd): 127.0.0.1 on a
#                    free UDP port, `master agentx` on unix:DIR/agentx.sock, -I -smux (no
#                    SMUX listener), no MIB loading, log in DIR/snmpd.log. Waits (bounded)
#                    until it answers. Sets SNMPD_PID SNMPD_DIR SNMP_PORT SNMP_AGENT
#                    AGENTX_SOCK. Called again after stop_snmpd it restarts on the same
#                    port and socket (a real snmpd restart). BODY: a file of config lines
#                    to use instead of the default AgentX and access lines (the listen
#                    address stays ours; the lines must let community public read
#                    system from 127.0.0.1, which the readiness check polls).
# stop_snmpd         stops it by PID.
# SNMP client settings: SNMPCONFPATH points at a client config in $T that loads no MIB
# (numeric OIDs, no noise) and keeps the clients' persistent files in $T; snmp_sym runs a
# client with FLOWSNMP-MIB loaded (needs the base MIBs: have_mibs).
# SNMPOPTS: the usual v2c options (snmpwalk's defaults: timeout 1 s, 5 retries).

FSN_MIBS=${FSN_MIBS:-$SHARED/mibs}
FLOWSNMP_ROOT=1.3.6.1.4.1.8072.9999.9999.4242

export SNMP_PERSISTENT_DIR=$T/snmp-persist
export SNMPCONFPATH=$T/snmp-client
mkdir -p "$SNMP_PERSISTENT_DIR" "$SNMPCONFPATH" "$T/snmp-client-mib"
printf 'mibs :\npersistentDir %s\n' "$SNMP_PERSISTENT_DIR" >"$SNMPCONFPATH/snmp.conf"
printf 'mibdirs +%s:%s\nmibs FLOWSNMP-MIB\npersistentDir %s\n' \
    "$FSN_MIBS" "$FSN_ROOT/conf" "$SNMP_PERSISTENT_DIR" >"$T/snmp-client-mib/snmp.conf"

SNMPOPTS=(-v2c -c public -t 1 -r 5)

# have_mibs: true when the IETF base modules (SNMPv2-SMI, INET-ADDRESS-MIB ...) are there.
have_mibs() {
    [ -f "$FSN_MIBS/SNMPv2-SMI.txt" ] && [ -f "$FSN_MIBS/INET-ADDRESS-MIB.txt" ] &&
        [ -f "$FSN_MIBS/SNMP-FRAMEWORK-MIB.txt" ]
}

# snmp_sym CMD ARGS...: runs an SNMP client with FLOWSNMP-MIB loaded.
snmp_sym() {
    SNMPCONFPATH=$T/snmp-client-mib "$@"
}

SNMP_PORT=
start_snmpd() {
    local dir=${1:-${SNMPD_DIR:-$T/snmpd}} body=${2:-} try i
    need_cmd snmpd
    need_cmd snmpget
    SNMPD_DIR=$dir
    AGENTX_SOCK=$dir/agentx.sock
    mkdir -p "$dir/persist"
    for try in 1 2 3 4 5; do
        [ -n "$SNMP_PORT" ] || SNMP_PORT=$(free_port udp) || bail "no free UDP port"
        if [ -n "$body" ]; then
            { echo "agentaddress udp:127.0.0.1:$SNMP_PORT"
              echo "[snmp] persistentDir $dir/persist"
              cat "$body"; } >"$dir/snmpd.conf"
        else
            cat >"$dir/snmpd.conf" <<CONF
agentaddress  udp:127.0.0.1:$SNMP_PORT
master        agentx
agentXSocket  unix:$AGENTX_SOCK
agentXPerms   0666 0777
agentXTimeout 5
agentXRetries 1
rocommunity   public 127.0.0.1
dontLogTCPWrappersConnects yes
sysLocation   flowsnmp test
[snmp] persistentDir $dir/persist
CONF
        fi
        start_bg "$dir/snmpd.out" snmpd -f -C -c "$dir/snmpd.conf" -I -smux -m '' \
            -Lf "$dir/snmpd.log"
        SNMPD_PID=$BG_PID
        SNMP_AGENT=127.0.0.1:$SNMP_PORT
        for i in $(seq 1 200); do
            if snmpget -v2c -c public -t 0.2 -r 0 "$SNMP_AGENT" 1.3.6.1.2.1.1.3.0 \
                >/dev/null 2>&1; then
                return 0
            fi
            kill -0 "$SNMPD_PID" 2>/dev/null || break
            sleep 0.05
        done
        # It died (the port was taken meanwhile?) or never answered: another port.
        stop_pid "$SNMPD_PID"
        diag_file "$dir/snmpd.log" 10
        SNMP_PORT=
    done
    bail "snmpd did not start"
}

stop_snmpd() {
    [ -n "${SNMPD_PID:-}" ] && stop_pid "$SNMPD_PID"
    SNMPD_PID=
}

# snmp_value OID: the value alone (-Oqv), numeric OIDs; empty on failure.
snmp_value() {
    snmpget "${SNMPOPTS[@]}" -Oqv -On "$SNMP_AGENT" "$@" 2>/dev/null
}

# wait_oid SECONDS OID: polls until snmpd returns a value (not an exception) for OID.
wait_oid() {
    local secs=$1 oid=$2 end v
    end=$((SECONDS + secs))
    while :; do
        v=$(snmpget -v2c -c public -t 0.3 -r 0 -Oqv -On "$SNMP_AGENT" "$oid" 2>/dev/null)
        case $v in
        "" | No\ Such*) ;;
        *) return 0 ;;
        esac
        [ $SECONDS -ge "$end" ] && return 1
        sleep 0.05
    done
}

# start_agx STATEFILE [ARGS...]: starts flowagentx in the foreground on $AGENTX_SOCK with
# a 1 s AgentX ping interval; as user nobody (-u) when the tests run as root, so that the
# subagent is tested unprivileged. Log in $AGX_LOG (default $T/agx.log). Sets AGX_PID.
AGX_USER=
start_agx() {
    local state=$1 user=()
    shift
    [ -x "$BIN/flowagentx" ] || bail "$BIN/flowagentx missing: build first"
    if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
        user=(-u nobody)
        AGX_USER=nobody
        chmod 755 "$T"
        # The collector (root here) makes the state file 0640; flowagentx reads it
        # through the file's group, as the systemd units arrange with two users of
        # one group.
        [ -e "$state" ] && chgrp "$(id -gn nobody)" "$state"
    fi
    start_bg "${AGX_LOG:-$T/agx.log}" "$BIN/flowagentx" -d -S "$state" \
        -x "unix:$AGENTX_SOCK" -i 1 "${user[@]}" "$@"
    AGX_PID=$BG_PID
}
