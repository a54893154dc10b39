#!/usr/bin/env bash
# Stateless tools/call throughput with one and with two replicas of the same connector
# (examples/src/bin/bench.rs, release build), measured with wrk over loopback.
#
#   examples/bench/scale_out.sh                    # 3 rounds x 5 s
#   ROUNDS=5 DURATION=10 examples/bench/scale_out.sh
#
# "one": one replica under CONNECTIONS keep-alive connections from two wrk processes; "two": two
# replicas, each under half the connections from its own wrk; the figure is the summed req/s. No proxy
# sits in between (a load balancer's own cost is its own), and stateless requests need no Redis:
# what is measured is whether a second process adds capacity on this machine. On a machine
# whose cores wrk and one replica already fill, it cannot; the CPU column says how busy the
# replicas were. Medians of the rounds. Needs cargo, wrk, python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-16}"
helper=examples/bench/helper.py
say() { printf '==> %s\n' "$*" >&2; }
command -v wrk >/dev/null || { echo "scale_out.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

say "cargo build --release -p examples --bin bench"
cargo build --quiet --release -p examples --bin bench
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bench_bin="$target_dir/release/bench"

# shellcheck source=examples/bench/servers.sh
source examples/bench/servers.sh
start a "$bench_bin" --filler-tools 48; a_url="$url"; a_pid="$pid"
start b "$bench_bin" --filler-tools 48; b_url="$url"; b_pid="$pid"
python3 "$helper" lua legacy_call >"$work/call.lua"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rps() { python3 "$helper" parse "$1" 0 | awk '{ print $1 }'; }

# Warm-up, unmeasured.
wrk -t1 -c"$CONNECTIONS" -d2s -s "$work/call.lua" "$a_url" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d2s -s "$work/call.lua" "$b_url" >/dev/null

one=(); two=()
half=$((CONNECTIONS / 2))
# pair URL1 URL2: two wrk processes at once (half the connections each), the summed req/s. The
# one-replica case uses two load generators too, so that both cases have the same client side.
pair() {
  wrk -t1 -c"$half" -d"${DURATION}s" --timeout 5s -s "$work/call.lua" "$1" >"$work/1.out" &
  local w1=$!
  wrk -t1 -c"$half" -d"${DURATION}s" --timeout 5s -s "$work/call.lua" "$2" >"$work/2.out" &
  local w2=$!
  wait "$w1" "$w2"
  python3 -c 'import sys; print(round(float(sys.argv[1]) + float(sys.argv[2])))' \
    "$(rps "$(cat "$work/1.out")")" "$(rps "$(cat "$work/2.out")")"
}
for round in $(seq "$ROUNDS"); do
  one+=("$(pair "$a_url" "$a_url")")
  two+=("$(pair "$a_url" "$b_url")")
  say "round $round: one replica ${one[-1]} req/s, two replicas ${two[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "stateless tools/call (legacy_call), wrk -c$CONNECTIONS, ${ROUNDS} x ${DURATION}s, medians, $(nproc) CPUs:"
echo "  one replica:  $(median "${one[@]}") req/s"
echo "  two replicas: $(median "${two[@]}") req/s"
