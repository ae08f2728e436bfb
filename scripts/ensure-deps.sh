#!/usr/bin/env bash
# Makes sure the system packages aiwatch builds and tests with are present (Debian/Ubuntu).
# Usage: scripts/ensure-deps.sh [build|test]
#   build: libpcap's development package (headers and the libpcap.so link)
#   test:  the same, plus what the tests use (tcpreplay and iproute2 for the live-capture test,
#          tcpdump and tshark to check that the evidence pcap opens cleanly)
set -euo pipefail
want=(libpcap-dev pkg-config)
if [ "${1:-build}" = test ]; then
  want+=(tcpreplay iproute2 tcpdump tshark)
fi
missing=()
for p in "${want[@]}"; do
  # "install ok installed" only: a removed package keeps a status entry (config-files).
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "aiwatch needs these system packages, which are missing: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install them with your package manager, then run this again." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
    echo "Not root and no sudo: run 'apt-get install -y ${missing[*]}' as root." >&2
    exit 1
  fi
fi
echo "Installing them with apt-get..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}" >&2
