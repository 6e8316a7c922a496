#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The collector and the subagent run as two users sharing a group
# (conf/flowsnmp.sysusers, conf/*.service): flowcollectd creates the state
# file 0640 whatever the umask, so a process of another user in the file's
# group reads it (mapped read-only, as flowagentx does) but cannot open it
# for writing, and a user outside the group cannot read it at all.
. "$(dirname "$0")/../lib/common.sh"
need_cmd setpriv
[ "$(id -u)" = 0 ] || bail "needs root (runs readers as other users)"

umask 022
mkdir -p "$T/st"
printf 'spool %s\nstate-file %s\n' "$T/sp" "$T/st/state" >"$T/c.conf"
"$TOOLS/nfsend" -f 5 -w "$T/one.pcap" -n 30 >/dev/null
"$BIN/flowcollectd" -c "$T/c.conf" -r "$T/one.pcap" >"$T/c.log" 2>&1
ok $? "flowcollectd -r writes a state file" || diag_file "$T/c.log"
is "$(stat -c %a "$T/st/state")" 640 "the state file is created 0640 under umask 022"
chmod 755 "$T" "$T/st"
grp=$(stat -c %g "$T/st/state")

# as UID GID CMD...: runs CMD as that user and group, without supplementary groups.
as() {
    local uid=$1 gid=$2
    shift 2
    setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}
"$TOOLS/statecheck" -d "$T/st/state" >"$T/dump.root"
as 65534 "$grp" "$TOOLS/statecheck" -d "$T/st/state" >"$T/dump.group" 2>"$T/group.err"
ok $? "another user in the file's group reads it" || diag_file "$T/group.err"
cmp -s "$T/dump.root" "$T/dump.group"
ok $? "... all of it (the same dump as the owner's)"
# dd opens the file for writing (and writes nothing: count=0).
as 65534 "$grp" dd of="$T/st/state" conv=notrunc count=0 status=none 2>"$T/write.err"
is "$?:$(grep -c 'Permission denied' "$T/write.err")" "1:1" \
    "... but cannot open it for writing: the figures it serves are not its to change"
as 65534 65534 "$TOOLS/statecheck" -d "$T/st/state" >/dev/null 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "a user outside the group cannot read it"
done_testing
