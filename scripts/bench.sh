#!/usr/bin/env bash
# Whole-process benchmark of `aiwatch replay` against the libpcap floor (../shared/bench/pcapcount.c),
# run alternately so that drift of a shared machine cancels out: "x floor" is the median of the
# per-pair wall-time ratios. Builds the corpus with ../shared/bench/make-corpus.sh when missing.
# usage: scripts/bench.sh [CORPUS.pcap]     env: RUNS (default 7), EXTRA (extra aiwatch flags),
#        BIN (an aiwatch binary to time instead of building target/release/aiwatch)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
# The shared folder: $AIWATCH_SHARED, else ../shared beside the crate.
shared_root=${AIWATCH_SHARED:-../shared}
shared=$shared_root/bench
corpus=${1:-target/bench/c100M.pcap}
RUNS=${RUNS:-7}
EXTRA=${EXTRA:-}
mkdir -p target/bench
if [ ! -f "$corpus" ]; then
  echo "building the corpus $corpus (needs editcap/capinfos from wireshark-common)" >&2
  bash "$shared/make-corpus.sh" "$shared_root/captures/ndpi/pcap" "$corpus" 100M >&2
fi
cc -O2 -o target/bench/pcapcount "$shared/pcapcount.c" -lpcap
if [ -n "${BIN:-}" ]; then bin=$BIN; else
  cargo build --release --quiet
  bin=target/release/aiwatch
fi
cat "$corpus" >/dev/null
# One checked run first: a failing aiwatch must stop the benchmark loudly, not be timed.
# shellcheck disable=SC2086
if ! "$bin" replay $EXTRA "$corpus" >/dev/null 2>target/bench/stderr; then
  echo "bench: $bin replay $EXTRA $corpus failed:" >&2
  cat target/bench/stderr >&2
  exit 1
fi
read -r pkts capbytes < <(target/bench/pcapcount "$corpus" | sed -E 's/packets=([0-9]+) captured_bytes=([0-9]+).*/\1 \2/')
timed() { # prints: wall_s maxrss_kb
  local t0 t1
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o target/bench/rss "$@" >/dev/null 2>&1
  t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b-a}') $(tail -n1 target/bench/rss)"
}
: > target/bench/pairs
for i in $(seq 0 "$RUNS"); do
  read -r fw _ < <(timed target/bench/pcapcount "$corpus")
  # shellcheck disable=SC2086
  read -r aw arss < <(timed "$bin" replay $EXTRA "$corpus")
  [ "$i" -eq 0 ] && continue   # warm-up pair
  echo "$fw $aw $arss" >> target/bench/pairs
done
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }
floor=$(awk '{print $1}' target/bench/pairs | median)
ours=$(awk '{print $2}' target/bench/pairs | median)
ratio=$(awk '{print $2/$1}' target/bench/pairs | median)
rss=$(awk '{print $3}' target/bench/pairs | median)
awk -v p="$pkts" -v b="$capbytes" -v f="$floor" -v o="$ours" -v r="$ratio" -v m="$rss" -v n="$RUNS" 'BEGIN{
  printf "corpus: %d packets, %.1f MB captured\n", p, b/1e6
  printf "floor (pcapcount): %.4f s  %.2f Mpkt/s\n", f, p/f/1e6
  printf "aiwatch replay:    %.4f s  %.2f Mpkt/s  %.2f Gbit/s  peak RSS %.1f MiB\n", o, p/o/1e6, b*8/o/1e9, m/1024
  printf "x floor (median of %d paired ratios): %.2f\n", n, r
}'
