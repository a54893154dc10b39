#!/usr/bin/env python3
"""Helpers for run.sh: request bodies, answer checks, the stdio driver and the final table.

Standard library only. Subcommands:

  body SCENARIO                     print the JSON-RPC body of a scenario
  headers SCENARIO                  print its HTTP headers, one "Name: value" per line
  lua SCENARIO                      print a wrk script that sends it and reports one BENCH line
  check SCENARIO STATUS HDRS BODY   check a curl answer (status, header file, body file)
  stdio ERA N ROUND CMD...          pipeline N tools/call on CMD's stdin, print one result line
  parse TEXT [TICKS]                turn the BENCH line in TEXT into
                                    "req/s p50_us p99_us errors cpu_us_per_request", given the
                                    server's CPU clock ticks during the run (else cpu_ticks=...)
  table RESULTS                     print the medians table from run.sh's results file
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
}

# scenario -> (era, method); every scenario runs against the baseline and the SDK server.
SCENARIOS = {
    "legacy_call": ("2025-11-25", "tools/call"),
    "modern_call": ("2026-07-28", "tools/call"),
    "legacy_list50": ("2025-11-25", "tools/list"),
    "modern_list50": ("2026-07-28", "tools/list"),
}

TOOLS_LISTED = 50


def request(scenario, request_id=1):
    era, method = SCENARIOS[scenario]
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    params = {}
    if method == "tools/call":
        params = {"name": "echo", "arguments": {"message": "hello"}}
    if era == "2026-07-28":
        params["_meta"] = MODERN_META
    if params:
        message["params"] = params
    return json.dumps(message, separators=(",", ":"))


def headers(scenario):
    era, method = SCENARIOS[scenario]
    out = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", era),
    ]
    if era == "2026-07-28":
        out.append(("Mcp-Method", method))
        if method == "tools/call":
            out.append(("Mcp-Name", "echo"))
    # BENCH_AUTH=1 in run.sh: the SDK server requires this token (the baseline ignores it).
    if os.environ.get("BENCH_BEARER"):
        out.append(("Authorization", "Bearer " + os.environ["BENCH_BEARER"]))
    return out


def lua(scenario):
    def quote(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ['wrk.method = "POST"', "wrk.body = " + quote(request(scenario))]
    lines += [f"wrk.headers[{quote(name)}] = {quote(value)}" for name, value in headers(scenario)]
    # One machine-readable line at the end; latencies are in microseconds.
    lines.append(
        """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end"""
    )
    return "\n".join(lines) + "\n"


def check_result(scenario, reply):
    """Why `reply` (a parsed JSON-RPC message) is not the expected answer, or None."""
    _, method = SCENARIOS[scenario]
    if "error" in reply:
        return f"a JSON-RPC error: {json.dumps(reply['error'])}"
    result = reply.get("result")
    if not isinstance(result, dict):
        return "no result object"
    if method == "tools/call":
        if result.get("isError"):
            return f"the tool failed: {json.dumps(result)}"
        content = result.get("content") or [{}]
        if content[0].get("text") != "hello":
            return f"not the echo: {json.dumps(result)[:300]}"
    else:
        tools = result.get("tools")
        if not isinstance(tools, list) or len(tools) != TOOLS_LISTED:
            return f"expected {TOOLS_LISTED} tools, got {len(tools) if isinstance(tools, list) else tools!r}"
        if result.get("nextCursor"):
            return "the list is paginated; the benchmark expects one page"
    return None


def check(scenario, status, header_file, body_file):
    with open(header_file, encoding="latin-1") as f:
        content_type = ""
        for line in f:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-type":
                content_type = value.strip()
    with open(body_file, "rb") as f:
        body = f.read()
    problem = None
    reply = None
    if status != "200":
        problem = f"HTTP {status}: {body[:300]!r}"
    elif content_type.startswith("text/event-stream"):
        # Accept both answer forms, as a client must; the last data line is the response.
        data = [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]
        data = [d for d in data if d]
        reply = json.loads(data[-1]) if data else None
    elif content_type.startswith("application/json"):
        reply = json.loads(body)
    else:
        problem = f"unexpected content-type {content_type!r}"
    if problem is None:
        problem = "no response in the stream" if reply is None else check_result(scenario, reply)
    if problem is not None:
        print(f"  FAIL {problem}")
        return 1
    print(f"  ok: HTTP 200, {content_type.split(';')[0]}, {len(body)} bytes")
    return 0


def stdio(era, count, round_no, command):
    """Starts `command`, pipelines `count` tools/call requests and reads their answers."""
    scenario = "legacy_call" if era == "legacy" else "modern_call"
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None

    def ask(line):
        process.stdin.write(line.encode() + b"\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        if not answer:
            raise SystemExit(f"stdio {era}: the server closed stdout")
        return json.loads(answer)

    try:
        if era == "legacy":
            initialize = {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "1"},
                },
            }
            reply = ask(json.dumps(initialize))
            if "result" not in reply:
                raise SystemExit(f"stdio legacy: initialize failed: {reply}")
            process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        # One request answered before the clock starts: the process is up and the answer right.
        problem = check_result(scenario, ask(request(scenario, 1)))
        if problem:
            raise SystemExit(f"stdio {era}: {problem}")
        blob = "".join(request(scenario, i) + "\n" for i in range(2, count + 2)).encode()

        def write():
            process.stdin.write(blob)
            process.stdin.flush()

        ticks_before = cpu_ticks(process.pid)
        started = time.perf_counter()
        writer = threading.Thread(target=write)
        writer.start()
        bad = 0
        for _ in range(count):
            line = process.stdout.readline()
            if not line:
                raise SystemExit(f"stdio {era}: the server closed stdout early")
            if b'"error"' in line or b'"hello"' not in line:
                bad += 1
        elapsed = time.perf_counter() - started
        ticks = cpu_ticks(process.pid) - ticks_before
        writer.join()
    finally:
        process.stdin.close()
        process.wait(timeout=30)
    print(f"BENCH requests={count} duration_us={int(elapsed * 1e6)} p50_us=0 p99_us=0 non2xx={bad} socket_errors=0 cpu_ticks={ticks}")
    return 0


def cpu_ticks(pid):
    """CPU clock ticks (user + system, all threads) the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def parse(text, ticks=None):
    line = next((l for l in text.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        print(f"no BENCH line in: {text!r}", file=sys.stderr)
        return 1
    f = dict(kv.split("=") for kv in line.split()[1:])
    requests = int(f["requests"])
    rps = requests / (int(f["duration_us"]) / 1e6)
    ticks = int(ticks if ticks is not None else f.get("cpu_ticks", 0))
    cpu_us = ticks / os.sysconf("SC_CLK_TCK") * 1e6 / max(requests, 1)
    print(f'{rps:.1f} {f["p50_us"]} {f["p99_us"]} {int(f["non2xx"]) + int(f["socket_errors"])} {cpu_us:.2f}')
    return 0


def table(results_file):
    # scenario server round rps p50_us p99_us errors cpu_us_per_request
    rows = {}
    with open(results_file) as f:
        for line in f:
            scenario, server, round_no, rps, p50, p99, errors, cpu = line.split()
            rows.setdefault((scenario, server), {})[int(round_no)] = (
                float(rps),
                int(p50),
                int(p99),
                int(errors),
                float(cpu),
            )
    order = []
    for scenario, server in rows:
        if scenario not in order:
            order.append(scenario)

    def fmt_us(us):
        if us == 0:
            return "-"
        return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us} µs"

    def ratio(runs, base, field):
        # The median of per-round ratios: each SDK run against the baseline run next to it,
        # which cancels most of the machine's drift.
        values = [runs[n][field] / base[n][field] for n in runs if n in base and base[n][field] > 0]
        return f"{statistics.median(values):.2f}" if values else "-"

    head = (
        f"{'scenario':<14} {'server':<10} {'req/s':>7} {'× base':>6} {'p50':>9} {'p99':>9} "
        f"{'CPU µs/req':>10} {'× base':>6}  {'rounds (req/s)'}"
    )
    print(head)
    print("-" * len(head))
    for scenario in order:
        base = rows.get((scenario, "baseline"), {})
        for server in ("baseline", "sdk", "sdk_legacy", "sdk_modern"):
            runs = rows.get((scenario, server))
            if not runs:
                continue
            rps = statistics.median(r[0] for r in runs.values())
            p50 = int(statistics.median(r[1] for r in runs.values()))
            p99 = int(statistics.median(r[2] for r in runs.values()))
            errors = sum(r[3] for r in runs.values())
            cpu = statistics.median(r[4] for r in runs.values())
            each = " ".join(f"{runs[n][0]:.0f}" for n in sorted(runs))
            warn = f"  ({errors} bad answers!)" if errors else ""
            print(
                f"{scenario:<14} {server:<10} {rps:>7.0f} {ratio(runs, base, 0):>6} {fmt_us(p50):>9} "
                f"{fmt_us(p99):>9} {cpu:>10.1f} {ratio(runs, base, 4):>6}  {each}{warn}"
            )
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    if command == "body":
        print(request(args[0]))
    elif command == "headers":
        print("\n".join(f"{name}: {value}" for name, value in headers(args[0])))
    elif command == "lua":
        sys.stdout.write(lua(args[0]))
    elif command == "check":
        return check(*args)
    elif command == "stdio":
        return stdio(args[0], int(args[1]), int(args[2]), args[3:])
    elif command == "parse":
        return parse(*args)
    elif command == "table":
        return table(args[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
