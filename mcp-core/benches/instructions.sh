#!/usr/bin/env bash
# Instructions per request for each bench of benches/dispatch.rs, counted by valgrind's callgrind:
# a cross-check of the criterion timings that machine noise does not move (the same build gives
# the same counts to within a fraction of a percent). Needs valgrind; takes a minute or two.
#
#   bash mcp-core/benches/instructions.sh            # every bench
#   bash mcp-core/benches/instructions.sh tools_call # the benches whose id contains this
#
# Each bench runs under callgrind in criterion's --profile-time mode (its loop without analysis);
# the instructions spent inside criterion's profiling loop, divided by the calls of the bench's
# `iteration()` marker, are the instructions of one iteration.
set -euo pipefail
cd "$(dirname "$0")/../.."
filter=${1:-}

bin=$(cargo bench -p mcp-connector-core --bench dispatch --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not build or find the dispatch bench" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

benches="tools_call/legacy tools_call/modern tools_list_50/legacy tools_list_50/modern
  elicit/legacy_in_process elicit/modern_round_1 elicit/modern_round_2
  smallest/legacy_ping smallest/modern_discover"
printf '%-26s %12s\n' bench 'Ir/request'
for id in $benches; do
  case "$id" in *"$filter"*) ;; *) continue ;; esac
  file="$out/${id//\//.}.cg"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" --bench "^${id}\$" --profile-time 1 \
    >/dev/null 2>&1
  # Inclusive instructions of criterion's profiling loop (warm-up and measurement).
  total=$(callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null \
    | awk '/criterion::routine::Routine::profile( \[|$)/ { gsub(",", "", $1); if ($1 > max) max = $1 } END { print max + 0 }')
  # Calls of the marker: the "<" caller lines of its entry in the caller tree.
  calls=$(callgrind_annotate --tree=caller --threshold=100 "$file" 2>/dev/null \
    | awk 'BEGIN { RS = ""; FS = "\n" } /\* [^\n]*dispatch::iteration( \[|$|\n)/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^ *[0-9,]+ .*< / && match($i, /\(([0-9,]+)x\)/)) {
          n = substr($i, RSTART + 1, RLENGTH - 3); gsub(",", "", n); sum += n } }
        END { print sum + 0 }')
  if [ "$calls" -gt 0 ]; then
    printf '%-26s %12d\n' "$id" $((total / calls))
  else
    printf '%-26s %12s\n' "$id" '?'
  fi
done
