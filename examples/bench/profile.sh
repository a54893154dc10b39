#!/usr/bin/env bash
# Profiles the SDK's HTTP hot path under the load of run.sh, next to the bare-axum baseline.
#
#   examples/bench/profile.sh                      # legacy_call and modern_call, 10 s each
#   SCENARIOS=legacy_list50 SECONDS_EACH=5 OUT=/tmp/prof examples/bench/profile.sh
#
# For each scenario and each server (baseline, SDK) it runs wrk as run.sh does and reads the
# server's CPU time from /proc (user + system, all threads) to give CPU microseconds per request,
# then records each server with `perf record --call-graph dwarf` (cpu-clock: works in VMs
# without hardware counters) during a second run, and writes to $OUT:
#   cpu_per_request.txt         req/s and CPU µs per request, per scenario and server
#   SCENARIO.SERVER.txt         attribute.py's ranking: categories, self time, time charged to
#                               SDK functions, inclusive time of SDK frames (see attribute.py)
#   SCENARIO.SERVER.perf.data   the raw profile, for `perf report -i` (large; never commit it)
#
# Needs perf (Debian: apt-get install linux-perf) and what run.sh needs. It builds with
# CARGO_PROFILE_RELEASE_DEBUG=line-tables-only so that perf can name inlined functions; that
# rebuilds the whole dependency tree once (and run.sh without it rebuilds it back), and does not
# change the generated code. Loopback only; every run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCENARIOS="${SCENARIOS:-legacy_call modern_call}"
SECONDS_EACH="${SECONDS_EACH:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
FREQ="${FREQ:-997}"
PROFILED="${PROFILED:-baseline sdk}"   # which servers to record with perf
OUT="${OUT:-/tmp/mcp-bench-profile}"
helper=examples/bench/helper.py

command -v perf >/dev/null || { echo "profile.sh needs perf (Debian: apt-get install linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "profile.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
mkdir -p "$OUT"

export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
echo "==> cargo build --release -p examples --bin bench --bin bench_baseline (line tables)" >&2
cargo build --quiet --release -p examples --bin bench --bin bench_baseline
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

# shellcheck source=examples/bench/servers.sh
source examples/bench/servers.sh

start baseline "$target_dir/release/bench_baseline"; baseline_url="$url"; baseline_pid="$pid"
start sdk "$target_dir/release/bench" --filler-tools 48; sdk_url="$url"; sdk_pid="$pid"

# Clock ticks of CPU (user + system) the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

for scenario in $SCENARIOS; do
  python3 "$helper" lua "$scenario" >"$work/$scenario.lua"
  for server in baseline sdk; do
    url_var="${server}_url"; pid_var="${server}_pid"
    wrk -t1 -c"$CONNECTIONS" -d2s -s "$work/$scenario.lua" "${!url_var}" >/dev/null  # warm-up
    before="$(cpu_ticks "${!pid_var}")"
    out="$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -s "$work/$scenario.lua" "${!url_var}")"
    after="$(cpu_ticks "${!pid_var}")"
    read -r rps p50 p99 errors _ < <(python3 "$helper" parse "$out")
    python3 -c '
import sys
scenario, server, rps, secs, ticks, hz, errors = sys.argv[1:]
requests = float(rps) * float(secs)
cpu_us = int(ticks) / int(hz) * 1e6
print(f"{scenario:<14} {server:<9} {float(rps):>8.0f} req/s  {cpu_us / requests:6.1f} CPU µs/request  ({errors} errors)")
' "$scenario" "$server" "$rps" "$SECONDS_EACH" "$((after - before))" "$hz" "$errors" | tee -a "$OUT/cpu_per_request.txt"
  done
  # The profiles: separate runs, so perf's own cost does not enter the CPU figures above.
  for server in $PROFILED; do
    url_var="${server}_url"; pid_var="${server}_pid"
    data="$OUT/$scenario.$server.perf.data"
    wrk -t1 -c"$CONNECTIONS" -d"$((SECONDS_EACH + 2))s" -s "$work/$scenario.lua" "${!url_var}" >/dev/null &
    wrk_pid="$!"
    sleep 1
    perf record -q -e cpu-clock -F "$FREQ" --call-graph dwarf,16384 -p "${!pid_var}" -o "$data" \
      -- sleep "$SECONDS_EACH" 2>/dev/null
    wait "$wrk_pid"
    cpu_us="$(awk -v s="$scenario" -v v="$server" '$1 == s && $2 == v { x = $5 } END { print x }' \
      "$OUT/cpu_per_request.txt")"
    echo "==> $scenario on $server: perf script | attribute.py -> $OUT/$scenario.$server.txt" >&2
    perf script -i "$data" -F tid,ip,sym,srcline 2>/dev/null >"$work/$scenario.$server.script"
    python3 examples/bench/attribute.py "$work/$scenario.$server.script" "$cpu_us" >"$OUT/$scenario.$server.txt"
    rm -f "$work/$scenario.$server.script"
  done
done
echo "==> CPU per request: $OUT/cpu_per_request.txt" >&2
