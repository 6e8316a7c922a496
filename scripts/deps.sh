#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages that building, testing and the demo need.
# Idempotent: when every package is present it only checks and returns.
# Run as root on Debian 12; `make test` and `make demo` call it first.
set -eu

PKGS="gcc clang make pkg-config perl python3 iproute2 man-db groff-base bc
      libpcap-dev tcpdump tshark
      nfdump softflowd pmacct
      libsnmp-dev snmpd snmp smitools
      librrd-dev rrdtool rrdcached mrtg librrds-perl faketime
      libcrypt-des-perl libdigest-hmac-perl libcrypt-rijndael-perl
      libclang-rt-14-dev time
      chromium chromium-driver"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run 'sudo $0' (or install them) and try again" >&2
    exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
