#!/usr/bin/env bash
# Instructions per request: the SDK's `bench` connector and the bare-axum baseline, each run
# under valgrind's callgrind while wrk sends the scenarios of run.sh. Callgrind counts the
# instructions the server process executes in user space, which do not depend on what else
# the machine is doing: this is the figure to compare across commits on a busy or shared
# machine, where run.sh's throughput drifts. (Kernel time, the other half of a request on
# loopback, is not counted; run.sh measures the whole.)
#
#   examples/bench/instructions.sh                          # legacy_call and modern_call
#   SCENARIOS="legacy_call legacy_list50" examples/bench/instructions.sh
#   KEEP=/tmp/cg examples/bench/instructions.sh             # keep the callgrind files, then:
#   callgrind_annotate --inclusive=yes /tmp/cg/sdk.legacy_call.out.1 | grep mcp_
#
# Needs valgrind (Debian: apt-get install valgrind) and what run.sh needs. Loopback only;
# every run stops by itself; the servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCENARIOS="${SCENARIOS:-legacy_call modern_call}"
SECONDS_EACH="${SECONDS_EACH:-4}"   # measured seconds of load per server and scenario
CONNECTIONS="${CONNECTIONS:-4}"
helper=examples/bench/helper.py

command -v valgrind >/dev/null || { echo "instructions.sh needs valgrind (Debian: apt-get install valgrind)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "instructions.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }

# Line tables let callgrind_annotate name inlined functions; they do not change the code.
export CARGO_PROFILE_RELEASE_DEBUG="${CARGO_PROFILE_RELEASE_DEBUG:-line-tables-only}"
echo "==> cargo build --release -p examples --bin bench --bin bench_baseline" >&2
cargo build --quiet --release -p examples --bin bench --bin bench_baseline
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

# shellcheck source=examples/bench/servers.sh
source examples/bench/servers.sh
out="${KEEP:-$work}"
mkdir -p "$out"

# Starts SERVER under callgrind with instrumentation off (start-up is not measured), warms
# it up, counts SECONDS_EACH of SCENARIO, and prints "requests instructions".
measure() {
  local name="$1" scenario="$2"; shift 2
  local file="$out/$name.$scenario.out"
  rm -f "$file"*
  start "$name.$scenario" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$file" "$@"
  callgrind_control -i on "$pid" >/dev/null 2>&1
  wrk -t1 -c"$CONNECTIONS" -d2s -s "$work/$scenario.lua" "$url" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  local report
  report="$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -s "$work/$scenario.lua" "$url")"
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local requests instructions
  requests="$(sed -n 's/.*BENCH requests=\([0-9]*\).*/\1/p' <<<"$report")"
  instructions="$( (callgrind_annotate "$file.1" 2>/dev/null || true) \
    | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
  echo "$requests $instructions"
}

printf '\nInstructions per request (user space, callgrind): %s, git %s\n\n' \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-14s %12s %12s %8s\n' scenario baseline sdk '× base'
for scenario in $SCENARIOS; do
  python3 "$helper" lua "$scenario" >"$work/$scenario.lua"
  read -r base_requests base_instructions < <(measure baseline "$scenario" "$target_dir/release/bench_baseline")
  read -r sdk_requests sdk_instructions < <(measure sdk "$scenario" "$target_dir/release/bench" --filler-tools 48)
  python3 - "$scenario" "$base_requests" "$base_instructions" "$sdk_requests" "$sdk_instructions" <<'EOF'
import sys
scenario, br, bi, sr, si = sys.argv[1], *map(int, sys.argv[2:])
base, sdk = bi / br, si / sr
print(f"{scenario:<14} {base:12,.0f} {sdk:12,.0f} {sdk / base:8.2f}")
EOF
done
[ -n "${KEEP:-}" ] && echo "callgrind files: $KEEP (callgrind_annotate --inclusive=yes FILE.1)" >&2
true
