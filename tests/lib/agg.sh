# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the aggregator's integration tests (tests/integration/agg_*.t),
# sourced after tests/lib/common.sh. The ground truth is computed here with
# awk, by direct sums over the flow list, independently of the aggregator.

# agg_gen_flows SEED N START_S SPAN_S: N flows ending between START_S and
# START_S + SPAN_S (roughly in time order), in aggfeed's text format:
#   FIRST_MS LAST_MS PROTO SRC SPORT DST DPORT PACKETS OCTETS EXPORTER DOMAIN
# Local hosts are 10.9.0.1-20 and 2001:db8:9::1-4; octets are always
# 1000 x packets (the invariant statecheck verifies on every row).
agg_gen_flows() {
    awk -v seed="$1" -v n="$2" -v start="$3" -v span="$4" 'BEGIN {
        srand(seed);
        for (i = 0; i < n; i++) {
            last = start * 1000 + int(span * 1000 * i / n) + int(rand() * 20000);
            if (last >= (start + span) * 1000) last = (start + span) * 1000 - 1;
            dur = rand() < 0.67 ? int(rand() * 60000) : int(rand() * 900000);
            first = last - dur;
            pk = 1 + int(rand() * 500);
            r = rand();
            if (r < 0.45) { proto = 6; port = rand() < 0.5 ? 443 : 80 }
            else if (r < 0.75) { proto = 17; port = rand() < 0.7 ? 53 : 1024 + int(rand() * 60000) }
            else if (r < 0.85) { proto = 1; port = 2048 }
            else if (r < 0.92) { proto = 47; port = 0 }
            else { proto = 6; port = 1024 + int(rand() * 60000) }
            if (rand() < 0.15) { h = "2001:db8:9::" (1 + int(rand() * 4)); ext = "2001:db8:77::1" }
            else { h = "10.9.0." (1 + int(rand() * 20)); ext = "198.51.100." (1 + int(rand() * 50)) }
            eport = proto == 1 || proto == 47 ? 0 : 30000 + int(rand() * 30000);
            hport = proto == 1 || proto == 47 ? 0 : port;
            k = rand();
            if (k < 0.45)      { s = ext; sp = eport; d = h; dp = hport }        # in
            else if (k < 0.9)  { s = h; sp = hport; d = ext; dp = eport }        # out
            else if (k < 0.95) {                                                 # local to local
                s = "10.9.0." (1 + int(rand() * 20)); sp = eport;
                d = "10.9.0." (1 + int(rand() * 20)); dp = hport }
            else { s = "198.51.100.9"; sp = eport; d = "203.0.113.5"; dp = hport }  # transit
            if (proto == 1) { sp = 0; dp = 2048 }
            printf "%.0f %.0f %.0f %s %.0f %s %.0f %.0f %.0f 192.0.2.254 3\n", first, last, proto, s, sp, d, dp, pk, pk * 1000;
        }
    }'
}

# agg_truth < FLOWS: one line per entity, "NAME io oo ip op if of", by direct sums.
# Names as the RRD files: total, host/ADDR, service/web, service/dns, proto/NAME,
# exporter/192.0.2.254-3; plus "transit" (in only) and "local".
agg_truth() {
    awk 'function add(name, dir, o, p) {
            names[name] = 1;
            oc[name, dir] += o; pc[name, dir] += p; fc[name, dir] += 1 }
        function islocal(a) { return a ~ /^10\.9\./ || a ~ /^2001:db8:9:/ }
        function pname(p) { return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 47 ? "gre" : p }
        {
            proto = $3; s = $4; sp = $5; d = $6; dp = $7; p = $8; o = $9;
            sl = islocal(s); dl = islocal(d);
            if (!sl && !dl) { add("transit", 0, o, p); next }
            if (sl && dl) { add("local", 0, o, p); add("local", 1, o, p) }
            web = proto == 6 && (sp == 80 || sp == 443 || dp == 80 || dp == 443);
            dns = (proto == 6 || proto == 17) && (sp == 53 || dp == 53);
            for (dir = 0; dir < 2; dir++) {
                if (dir == 0 && !dl) continue;
                if (dir == 1 && !sl) continue;
                h = dir == 0 ? d : s;
                add("total", dir, o, p);
                add("host/" h, dir, o, p);
                add("proto/" pname(proto), dir, o, p);
                add("exporter/" $10 "-" $11, dir, o, p);
                if (web) add("service/web", dir, o, p);
                if (dns) add("service/dns", dir, o, p);
            }
        }
        END {
            for (n in names)
                printf "%s %.0f %.0f %.0f %.0f %.0f %.0f\n", n, oc[n, 0], oc[n, 1], pc[n, 0], pc[n, 1], fc[n, 0], fc[n, 1];
        }' | sort
}

# agg_rrd_sums FILE START END [DAEMON]: "io oo ip op if of" = sum over the steps
# of AVERAGE x step (rounded), as rrdtool fetch gives them.
agg_rrd_sums() {
    local f=$1 s=$2 e=$3 d=${4:-}
    rrdtool fetch ${d:+--daemon "$d"} "$f" AVERAGE -r 300 -s "$s" -e "$e" 2>/dev/null |
    awk 'NR == 1 { next }
         /:/ { for (i = 2; i <= NF; i++) if ($i !~ /nan/) sum[i] += sprintf("%.0f", $i * 300) }
         END { printf "%.0f %.0f %.0f %.0f %.0f %.0f\n", sum[2], sum[3], sum[4], sum[5], sum[6], sum[7] }'
}

# agg_rrd_max FILE START END [DAEMON]: the largest step count (value x step) of any DS.
agg_rrd_max() {
    local f=$1 s=$2 e=$3 d=${4:-}
    rrdtool fetch ${d:+--daemon "$d"} "$f" AVERAGE -r 300 -s "$s" -e "$e" 2>/dev/null |
    awk 'NR == 1 { next } /:/ { for (i = 2; i <= NF; i++) if ($i !~ /nan/ && $i * 300 > m) m = $i * 300 }
         END { printf "%.0f\n", m }'
}

# agg_rrd_inner_nan FILE START END [DAEMON]: unknown steps between the first and last known ones.
agg_rrd_inner_nan() {
    local f=$1 s=$2 e=$3 d=${4:-}
    rrdtool fetch ${d:+--daemon "$d"} "$f" AVERAGE -r 300 -s "$s" -e "$e" 2>/dev/null |
    awk 'NR == 1 { next } /:/ { n++; known[n] = $2 !~ /nan/ }
         END { f = 0; l = 0; for (i = 1; i <= n; i++) if (known[i]) { if (!f) f = i; l = i }
               c = 0; for (i = f; f && i <= l; i++) if (!known[i]) c++; print c }'
}

# agg_check_rrds TRUTH RRDDIR START END [DAEMON]: one TAP check per entity of the
# truth (except transit/local, which have no file) that the RRD sums equal it.
agg_check_rrds() {
    local truth=$1 dir=$2 s=$3 e=$4 d=${5:-} name want got bad=0 n=0
    while read -r name want; do
        case $name in transit|local) continue ;; esac
        got=$(agg_rrd_sums "$dir/$name.rrd" "$s" "$e" "$d")
        n=$((n + 1))
        if [ "$got" != "$want" ]; then
            bad=$((bad + 1)); diag "$name: rrd '$got' truth '$want'"
        fi
    done < "$truth"
    is "$bad" 0 "RRD sums over steps equal the ground truth for all $n entities"
}

# agg_check_state TRUTH STATEFILE: the state file's rows equal the truth (hosts,
# services, protocols, total, local, transit), and host rows + other == total.
agg_check_state() {
    local truth=$1 sf=$2 dump bad
    dump=$("$TOOLS/statecheck" -d "$sf") || { ok 1 "statecheck -d $sf"; return; }
    bad=$(awk -v dump="$dump" 'BEGIN {
            n = split(dump, L, "\n");
            for (i = 1; i <= n; i++) {
                split(L[i], f, " ");
                if (f[1] == "total" || f[1] == "local" || f[1] == "transit" || f[1] == "other")
                    { key = f[1]; rest = substr(L[i], length(f[1]) + 2) }
                else if (f[1] == "host" || f[1] == "service" || f[1] == "proto")
                    { key = f[1] "/" f[2]; rest = substr(L[i], length(f[1]) + length(f[2]) + 3) }
                else continue;
                st[key] = rest;
                if (f[1] == "host" || f[1] == "other") { for (j = 0; j < 6; j++) hs[j] += f[(f[1] == "host" ? 3 : 2) + j] }
                if (f[1] == "total") for (j = 0; j < 6; j++) tot[j] = f[2 + j];
            }
            for (j = 0; j < 6; j++) if (hs[j] != tot[j]) { print "rows+other!=total"; bad++ }
        }
        $1 ~ /^exporter\// { next }
        { key = $1; want = $2 " " $3 " " $4 " " $5 " " $6 " " $7;
          if (key == "transit") want = $2 " 0 " $4 " 0 " $6 " 0";
          if (st[key] != want) { print key ": state [" st[key] "] truth [" want "]"; bad++ } }
        END { print "BAD " bad + 0 }' "$truth")
    echo "$bad" | grep -v '^BAD' | sed 's/^/# /' | head -20
    is "$(echo "$bad" | awk '/^BAD/ {print $2}')" 0 "state file rows equal the ground truth; host rows + other == total"
}

# agg_conf FILE RRDDIR STATEFILE [DAEMON] [EXTRA...]: a config for aggfeed.
agg_conf() {
    local f=$1 dir=$2 sf=$3 d=${4:-}
    shift 4 2>/dev/null || shift $#
    {
        echo "local-network 10.9.0.0/16 lab"
        echo "local-network 2001:db8:9::/48"
        echo "service web tcp/80 tcp/443"
        echo "service dns udp/53 tcp/53"
        echo "step 300"
        echo "grace 300"
        echo "rrd-dir $dir"
        echo "state-file $sf"
        [ -n "$d" ] && echo "rrdcached $d"
        for x in "$@"; do echo "$x"; done
    } > "$f"
}
