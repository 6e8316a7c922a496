# SPDX-License-Identifier: BSD-2-Clause
# Helpers for flowmrtg's tests; source after common.sh and snmp.sh.
#
# mrtg_agent_up SPECFILE   writes the state file $T/state from a statewriter spec, starts
#                          snmpd and flowagentx on it and waits until the MIB answers.
#                          Sets SYSNAME (the agent's sysName.0). MRTG_SNMPD_BODY: a file of
#                          snmpd.conf lines instead of the default ones (start_snmpd's BODY).
# mrtg_summary CFG         one line per target of an MRTG config, sorted:
#                          NAME|TARGET|MAXBYTES|TITLE (the form mrtg_expect.py prints).
# mrtg_expect SPEC ARGS... the ground truth: tests/lib/mrtg_expect.py with the agent set.
# run_mrtg CFG LOG         env LANG=C mrtg with private lock and confcache files.
# need_mrtg                skips the whole test (TAP plan 0) when mrtg is not installed.

MRTG_EXPECT=$FSN_ROOT/tests/lib/mrtg_expect.py

need_mrtg() {
    if ! command -v mrtg >/dev/null 2>&1 || ! command -v indexmaker >/dev/null 2>&1; then
        skip "mrtg not installed (scripts/deps.sh installs it)" "MRTG"
        done_testing
    fi
}

mrtg_agent_up() {
    local spec=$1
    "$TOOLS/statewriter" -s "$spec" "$T/state" || bail "statewriter failed on $spec"
    if [ -n "${MRTG_SNMPD_BODY:-}" ]; then start_snmpd "$T/snmpd" "$MRTG_SNMPD_BODY"; else start_snmpd; fi
    start_agx "$T/state"
    wait_oid 20 "$FLOWSNMP_ROOT.1.1.11.0" || { diag_file "$T/agx.log"; bail "flowagentx did not register"; }
    SYSNAME=$(snmpget -v2c -c public -Oqv "$SNMP_AGENT" 1.3.6.1.2.1.1.5.0 2>/dev/null | tr -d '"')
    [ -n "$SYSNAME" ] || bail "no sysName from snmpd"
}

mrtg_summary() {
    awk '
        /^[A-Za-z0-9]+\[[^]]+\]:/ {
            kw = $0; sub(/\[.*/, "", kw)
            name = $0; sub(/^[^[]*\[/, "", name); sub(/\].*/, "", name)
            val = $0; sub(/^[^]]*\]: */, "", val)
            if (kw == "Target") { tgt[name] = val; order[++n] = name }
            if (kw == "MaxBytes") mb[name] = val
            if (kw == "Title") ti[name] = val
        }
        END { for (i = 1; i <= n; i++) { k = order[i]; print k "|" tgt[k] "|" mb[k] "|" ti[k] } }
    ' "$1" | LC_ALL=C sort
}

mrtg_expect() {
    local spec=$1
    shift
    python3 "$MRTG_EXPECT" "$spec" --agent "$SNMP_AGENT" --sysname "$SYSNAME" "$@"
}

run_mrtg() {
    local cfg=$1 log=$2
    env LANG=C mrtg --lock-file "$cfg.lock" --confcache-file "$cfg.ok" "$cfg" >"$log" 2>&1
}
