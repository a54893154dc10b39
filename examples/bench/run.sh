#!/usr/bin/env bash
# Load benchmark: the SDK's `bench` connector against a bare-axum baseline (`bench_baseline`),
# over streamable HTTP (legacy 2025-11-25 and modern 2026-07-28 requests) and over stdio.
# See examples/bench/README.md for what is measured and how to read the table.
#
#   examples/bench/run.sh                      # 3 rounds x 5 s per run, 16 connections
#   ROUNDS=5 DURATION=10 examples/bench/run.sh
#   SCENARIOS="legacy_call modern_call" STDIO=0 examples/bench/run.sh
#
# Talks to 127.0.0.1 only; every run stops by itself; the servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-3}"                 # rounds; each runs baseline and SDK once per scenario
DURATION="${DURATION:-5}"             # seconds per wrk run
WARMUP="${WARMUP:-2}"                 # seconds of unmeasured load per server and scenario
CONNECTIONS="${CONNECTIONS:-16}"      # wrk connections (keep-alive)
WRK_THREADS="${WRK_THREADS:-1}"       # wrk threads (one: the machine has 2 cores)
STDIO_REQUESTS="${STDIO_REQUESTS:-20000}"  # pipelined requests per stdio run
STDIO="${STDIO:-1}"                   # 0 skips the stdio runs
SCENARIOS="${SCENARIOS:-legacy_call modern_call legacy_list50 modern_list50}"
PROFILE="${PROFILE:-release}"         # cargo profile the binaries are built with

helper=examples/bench/helper.py

say() { printf '==> %s\n' "$*" >&2; }

# --- what the benchmark needs -------------------------------------------------------------
for tool in curl python3 cargo; do
  command -v "$tool" >/dev/null || { echo "run.sh needs $tool on PATH" >&2; exit 1; }
done
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "wrk (the HTTP load generator) is missing: installing it with apt-get install -y wrk"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "run.sh needs wrk (https://github.com/wg/wrk); on Debian or Ubuntu: sudo apt-get install wrk" >&2
    exit 1
  fi
fi

# --- build ---------------------------------------------------------------------------------
say "cargo build --profile $PROFILE -p examples --bin bench --bin bench_baseline"
cargo build --quiet --profile "$PROFILE" -p examples --bin bench --bin bench_baseline
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
profile_dir="$PROFILE"
[ "$PROFILE" = dev ] && profile_dir=debug
bench_bin="$target_dir/$profile_dir/bench"
baseline_bin="$target_dir/$profile_dir/bench_baseline"

# --- servers -------------------------------------------------------------------------------
# shellcheck source=examples/bench/servers.sh
source examples/bench/servers.sh

start baseline "$baseline_bin"; baseline_url="$url"; baseline_pid="$pid"
if [ "${BENCH_AUTH:-0}" = 1 ]; then
  # Every SDK request carries a JWT the server verifies (keys in memory, as once cached).
  start sdk "$bench_bin" --filler-tools 48 --auth-jwt; sdk_url="$url"; sdk_pid="$pid"
  BENCH_BEARER="$(sed -n 's/^bench token: //p' "$work/sdk.log" | head -n1)"
  [ -n "$BENCH_BEARER" ] || { echo "the SDK printed no bench token" >&2; exit 1; }
  export BENCH_BEARER
  say "SDK requires a JWT on every request (BENCH_AUTH=1)"
else
  start sdk "$bench_bin" --filler-tools 48; sdk_url="$url"; sdk_pid="$pid"
fi
say "baseline at $baseline_url, SDK (bench, 50 tools, stateless) at $sdk_url"

# --- check every request shape before measuring ---------------------------------------------
for scenario in $SCENARIOS; do
  python3 "$helper" lua "$scenario" >"$work/$scenario.lua"
  python3 "$helper" body "$scenario" >"$work/$scenario.json"
  curl_headers=()
  while IFS= read -r line; do curl_headers+=(-H "$line"); done < <(python3 "$helper" headers "$scenario")
  for server in baseline sdk; do
    url_var="${server}_url"
    say "check $scenario on $server"
    status="$(curl -sS -o "$work/answer" -D "$work/answer.headers" -w '%{http_code}' \
      "${curl_headers[@]}" --data-binary @"$work/$scenario.json" "${!url_var}")"
    python3 "$helper" check "$scenario" "$status" "$work/answer.headers" "$work/answer" >&2 \
      || { echo "the $server answer to $scenario is wrong; not measuring" >&2; exit 1; }
  done
done

# --- measure -------------------------------------------------------------------------------
results="$work/results"
: >"$results"

# CPU clock ticks (user + system, all threads) process $1 has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# load SCENARIO SERVER SECONDS: one wrk run; prints "rps p50_us p99_us errors cpu_us_per_request".
load() {
  local url_var="${2}_url" pid_var="${2}_pid" out before after
  before="$(cpu_ticks "${!pid_var}")"
  out="$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${3}s" --timeout 5s -s "$work/$1.lua" "${!url_var}")" \
    || { echo "wrk failed on $1/$2" >&2; exit 1; }
  after="$(cpu_ticks "${!pid_var}")"
  python3 "$helper" parse "$out" "$((after - before))"
}

if [ "$WARMUP" -gt 0 ]; then
  say "warm-up: ${WARMUP}s per server and scenario"
  for scenario in $SCENARIOS; do
    for server in baseline sdk; do load "$scenario" "$server" "$WARMUP" >/dev/null; done
  done
fi

for round in $(seq "$ROUNDS"); do
  # Alternate which server goes first, so neither always runs in the other's wake.
  if [ $((round % 2)) = 1 ]; then order="baseline sdk"; else order="sdk baseline"; fi
  for scenario in $SCENARIOS; do
    for server in $order; do
      measured="$(load "$scenario" "$server" "$DURATION")"
      say "round $round/$ROUNDS $scenario $server: $measured (req/s p50_us p99_us errors cpu_us/req)"
      echo "$scenario $server $round $measured" >>"$results"
    done
  done
done

if [ "$STDIO" = 1 ]; then
  # Each run is a fresh process: N tools/call written without waiting, N answers read.
  for round in $(seq "$ROUNDS"); do
    for run in baseline sdk_legacy sdk_modern; do
      case "$run" in
        baseline) era=legacy; cmd=("$baseline_bin" --stdio) ;;
        sdk_legacy) era=legacy; cmd=("$bench_bin" --filler-tools 48) ;;
        sdk_modern) era=modern; cmd=("$bench_bin" --filler-tools 48) ;;
      esac
      out="$(env -u RUST_LOG python3 "$helper" stdio "$era" "$STDIO_REQUESTS" "$round" "${cmd[@]}" 2>>"$work/stdio.log")" \
        || { echo "stdio run $run failed:" >&2; cat "$work/stdio.log" >&2; exit 1; }
      measured="$(python3 "$helper" parse "$out")"
      say "round $round/$ROUNDS stdio_call $run: $measured (req/s - - bad_answers cpu_us/req)"
      echo "stdio_call $run $round $measured" >>"$results"
    done
  done
fi

# --- report --------------------------------------------------------------------------------
echo
echo "MCP load benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "HTTP: wrk -t$WRK_THREADS -c$CONNECTIONS, $ROUNDS rounds x ${DURATION}s, medians; stdio: $STDIO_REQUESTS pipelined calls per run"
echo
python3 "$helper" table "$results"
if [ -n "${RESULTS_OUT:-}" ]; then cp "$results" "$RESULTS_OUT"; fi
