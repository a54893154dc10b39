# Sourced by run.sh and profile.sh: a scratch directory, the servers they start, and their
# cleanup on exit (also on Ctrl-C).
#
#   start NAME CMD...   starts CMD on a free loopback port (--http 127.0.0.1:0) and sets $url to
#                       its MCP endpoint and $pid to its process id

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {
  local name="$1"; shift
  # No RUST_LOG: a log line per request would cost more than the request.
  env -u RUST_LOG "$@" --http 127.0.0.1:0 2>"$work/$name.log" &
  pid="$!"
  pids+=("$pid")
  for _ in $(seq 100); do
    url="$(grep -so 'http://127\.0\.0\.1:[0-9]*/mcp' "$work/$name.log" | head -n1 || true)"
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}
