#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, pinned in
# package.json) against the `conformance` example served over streamable HTTP, for one or more
# protocol revisions' requirement sets, and exits 0 only when every set passes (every scored
# scenario of each).
#
# One server process serves every set: the same `Server` value and the same stateful HTTP
# transport answer the 2025-11-25 scenarios (initialize, then a session) and the 2026-07-28 ones
# (no handshake; version and capabilities in each request's `_meta`), telling them apart per
# request.
#
#   interop/conformance/run.sh                  # the 2025-11-25 requirement set
#   CONFORMANCE_REQUIREMENTS=2026-07-28 interop/conformance/run.sh
#   CONFORMANCE_REQUIREMENTS="2025-11-25 2026-07-28" interop/conformance/run.sh   # both, as CI
#   interop/conformance/run.sh --verbose        # extra arguments go to `conformance server`
#   interop/conformance/run.sh -o results       # also write per-check JSON under results/
#   interop/conformance/run.sh client           # the CLIENT scenarios, against `conformance_client`
#
# `client` mode runs `conformance client --requirements REV` for each requirement set with the
# `conformance_client` example as the command (the suite starts one mock server per scenario
# and passes its URL as the command's last argument), judged against client-baseline.yml (the
# expected failures: none; the auth/* scenarios run with the OAuth client). Extra arguments go
# to `conformance client`.
#
# Environment:
#   CONFORMANCE_REQUIREMENTS  requirement sets to run, separated by spaces or commas, in order
#                             (default 2025-11-25)
#   CONFORMANCE_BIN           a prebuilt `conformance` example binary (default: cargo builds it)
#   CONFORMANCE_CLIENT_BIN    a prebuilt `conformance_client` example binary (client mode)
#   CONFORMANCE_URL           test the server already listening at this MCP endpoint instead of
#                             starting one (replicas behind a proxy: examples/tests/scale_out.rs)
#
# Installs the suite with `npm ci` on first use. The suite needs Node 22+; the `node` package in
# package.json provides it in node_modules/.bin, which goes first in PATH here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=server
if [ "${1:-}" = client ]; then
  mode=client
  shift
fi
root="$(cd "$here/../.." && pwd)"
read -r -a requirement_sets <<<"$(printf '%s' "${CONFORMANCE_REQUIREMENTS:-2025-11-25}" | tr ',' ' ')"
[ "${#requirement_sets[@]}" -gt 0 ] || { echo "run.sh: CONFORMANCE_REQUIREMENTS names no requirement set" >&2; exit 2; }

if [ ! -x "$here/node_modules/.bin/conformance" ] || [ ! -x "$here/node_modules/.bin/node" ]; then
  echo "==> installing the conformance suite (npm ci in $here)"
  (cd "$here" && npm ci --no-audit --no-fund)
fi
export PATH="$here/node_modules/.bin:$PATH"
node_version="$(node --version)"
case "$node_version" in
  v2[2-9].* | v[3-9][0-9].*) ;;
  *) echo "run.sh: the suite needs Node 22 or newer, found $node_version" >&2; exit 2 ;;
esac

target_dir() {
  (cd "$root" && cargo metadata --format-version 1 --no-deps \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
}

if [ "$mode" = client ]; then
  if [ -n "${CONFORMANCE_CLIENT_BIN:-}" ]; then
    client_bin="$CONFORMANCE_CLIENT_BIN"
  else
    echo "==> building the conformance_client example"
    (cd "$root" && cargo build --quiet -p examples --bin conformance_client)
    client_bin="$(target_dir)/debug/conformance_client"
  fi
  [ -x "$client_bin" ] || { echo "run.sh: no client binary at $client_bin" >&2; exit 2; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  overall=0
  verdicts=""
  for requirements in "${requirement_sets[@]}"; do
    suite_log="$work/client-$requirements.log"
    echo "==> conformance client --command $client_bin --requirements $requirements $*"
    set +e
    conformance client --command "$client_bin" --requirements "$requirements" \
      --expected-failures "$here/client-baseline.yml" "$@" 2>&1 | tee "$suite_log"
    status=${PIPESTATUS[0]}
    set -e
    echo
    echo "==> conformance client $requirements against conformance_client: exit code $status"
    verdicts="$verdicts$requirements: exit code $status\n"
    if [ "$status" -ne 0 ]; then overall=$status; fi
  done
  if [ "${#requirement_sets[@]}" -gt 1 ]; then
    echo
    echo "==> every requirement set (${requirement_sets[*]}), client scenarios:"
    printf "%b" "$verdicts"
  fi
  exit "$overall"
fi

if [ -n "${CONFORMANCE_URL:-}" ]; then
  bin=""
elif [ -n "${CONFORMANCE_BIN:-}" ]; then
  bin="$CONFORMANCE_BIN"
else
  echo "==> building the conformance example"
  (cd "$root" && cargo build --quiet -p examples --bin conformance)
  bin="$(target_dir)/debug/conformance"
fi
[ -n "${CONFORMANCE_URL:-}" ] || [ -x "$bin" ] || { echo "run.sh: no server binary at $bin" >&2; exit 2; }

if [ -n "${CONFORMANCE_URL:-}" ]; then
  url="$CONFORMANCE_URL"
else
  # A free loopback port, chosen by the OS.
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  url="http://127.0.0.1:$port/mcp"
fi

work="$(mktemp -d)"
server_log="$work/server.log"
server_pid=""
cleanup() {
  if [ -z "${CONFORMANCE_URL:-}" ] && [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${CONFORMANCE_URL:-}" ]; then
  echo "==> testing the server at $url"
  # Stands for the server process below: this shell, alive for as long as the suite runs.
  server_pid=$$
  : >"$server_log"
else
  echo "==> starting $bin --http 127.0.0.1:$port"
  RUST_LOG="${RUST_LOG:-warn}" "$bin" --http "127.0.0.1:$port" >"$server_log" 2>&1 &
  server_pid=$!
fi

# Wait until the server answers HTTP on the endpoint (any status will do: it is listening and
# speaking HTTP), for at most 30 s; give up at once if it exits.
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited before answering; its output:" >&2
    cat "$server_log" >&2
    exit 2
  fi
  if node -e '
      fetch(process.argv[1], {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "ping" }),
        signal: AbortSignal.timeout(1000),
      }).then(() => process.exit(0), () => process.exit(1));' "$url" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

# The suite prints one line per scenario after "=== SUMMARY ===" (a check mark or a cross, the
# scenario, its check counts), then lists the scenarios it ran without scoring. Repeat the
# verdicts compactly, scored and not scored apart, so they end the output.
summarize() {
  awk '
    /^=== (SUITE )?SUMMARY ===/ { in_summary = 1; next }
    /^Total:/ { in_summary = 0 }
    /^Not scored/ { in_unscored = 1; next }
    in_summary && /^(✓|✗) / {
      name = $2; sub(/:$/, "", name); order[++n] = name; ok[name] = ($1 == "✓")
    }
    in_unscored && /^  (✓|✗) / { unscored[$2] = 1 }
    END {
      for (i = 1; i <= n; i++) {
        name = order[i]
        if (name in unscored) { if (ok[name]) up++; else { uf++; ufail = ufail "  " name "\n" } }
        else { if (ok[name]) sp++; else { sf++; sfail = sfail "  " name "\n" } }
      }
      printf "scored scenarios: %d passed, %d failed\n", sp, sf
      if (sf) printf "%s", sfail
      printf "not scored (run for visibility): %d passed, %d failed\n", up, uf
      if (uf) printf "%s", ufail
    }' "$1"
}

overall=0
verdicts=""
for requirements in "${requirement_sets[@]}"; do
  suite_log="$work/suite-$requirements.log"
  echo "==> conformance server --url $url --requirements $requirements $*"
  set +e
  conformance server --url "$url" --requirements "$requirements" "$@" 2>&1 | tee "$suite_log"
  status=${PIPESTATUS[0]}
  set -e
  echo
  echo "==> conformance $requirements against the conformance example: exit code $status"
  summary="$(summarize "$suite_log")"
  echo "$summary"
  verdicts="$verdicts$requirements: exit code $status\n$(printf '%s' "$summary" | sed 's/^/  /')\n"
  if [ "$status" -ne 0 ]; then
    overall=$status
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server had exited; its output:"
      cat "$server_log"
      break
    fi
  fi
done

if [ "${#requirement_sets[@]}" -gt 1 ]; then
  echo
  echo "==> every requirement set (${requirement_sets[*]}), one server process:"
  printf "%b" "$verdicts"
fi
exit "$overall"
