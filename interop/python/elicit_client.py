"""Drives the `workflows` example's confirmation (elicitation) with the official Python SDK client.

    python python/elicit_client.py [--expect refused] <auto|legacy> stdio <server binary> [server args...]
    python python/elicit_client.py [--expect refused] <auto|legacy> http  <url of the /mcp endpoint>

`auto` is the client's default: it probes `server/discover`, and when the server answers it
speaks 2026-07-28. There `ctx.elicit(...)` comes back as an `input_required` result; the client
runs its elicitation callback for each `inputRequests` entry and retries the call with
`inputResponses` and the echoed `requestState`. `legacy` goes straight to `initialize`
(2025-11-25); there the server sends the client an `elicitation/create` request mid-call.

Lists the tools, builds an artifact (`start_job`), then calls `purge_cache`, which asks for
confirmation before deleting; the callback accepts with `{"confirm": true}`. By default the
purge must have asked exactly once and deleted the artifact. `--expect refused` is for a server
that cannot ask (legacy mode over stateless HTTP): the callback must not run, and the purge
must refuse and delete nothing.

Prints one line of JSON (negotiated protocol version and era, what the elicitation asked and
under which request id, the purge's outcome) and exits non-zero when anything is off.
"""

import asyncio
import json
import os
import sys

import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS


def server_for(kind: str, target: str, args: list[str]):
    if kind == "stdio":
        return StdioServerParameters(command=target, args=args)
    if kind == "http":
        return target
    raise SystemExit(f"unknown transport {kind!r}")


async def main(expect: str, mode: str, kind: str, target: str, args: list[str]) -> None:
    asked: list[dict] = []

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams):
        assert isinstance(params, types.ElicitRequestFormParams), params
        # The request id is the `inputRequests` key in 2026-07-28 (`Client._drive_input_required`)
        # and the JSON-RPC id of the server's `elicitation/create` request in 2025-11-25.
        asked.append({
            "request_id": context.request_id,
            "message": params.message,
            "fields": sorted(params.requested_schema.get("properties", {})),
        })
        return types.ElicitResult(action="accept", content={"confirm": True})

    async with Client(server_for(kind, target, args), mode=mode, elicitation_callback=on_elicit) as client:
        version = client.protocol_version
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"start_job", "purge_cache", "list_runs"} <= tools, tools

        project = f"py-{mode}-{os.getpid()}"
        built = await client.call_tool("start_job", {"kind": "build", "target": project})
        assert not built.is_error and built.structured_content["status"] == "succeeded", built
        artifact = f"{project}-{built.structured_content['id']}.tar.gz"

        purged = await client.call_tool("purge_cache", {})
        run = purged.structured_content or {}
        outcome = {
            "is_error": bool(purged.is_error),
            "status": run.get("status"),
            "summary": run.get("summary") if not purged.is_error else purged.content[0].text,
        }
        runs = (await client.call_tool("list_runs", {})).structured_content["runs"]
        purges = [r["status"] for r in runs if r["kind"] == "purge_cache"]
        summary = {
            "mode": mode,
            "transport": kind,
            "protocol_version": version,
            "era": "modern" if version in MODERN_PROTOCOL_VERSIONS else "legacy",
            "server": client.server_info.name if client.server_info else None,
            "elicitations": asked,
            "purge": outcome,
            "purge_runs": purges,
        }
    print(json.dumps(summary, sort_keys=True))

    if expect == "confirmed":
        assert len(asked) == 1, asked
        assert artifact in asked[0]["message"], asked
        assert asked[0]["fields"] == ["confirm"], asked
        assert outcome == {"is_error": False, "status": "succeeded", "summary": f"deleted 1 artifacts: {artifact}"}, outcome
        assert purges[0] == "succeeded", purges
    else:
        assert asked == [], asked
        assert outcome["is_error"] and "nothing was deleted" in outcome["summary"], outcome
        assert "--stateful" in outcome["summary"], outcome
        assert purges[0] == "aborted", purges


if __name__ == "__main__":
    argv = sys.argv[1:]
    expect = "confirmed"
    if argv[:1] == ["--expect"]:
        expect, argv = argv[1], argv[2:]
    if len(argv) < 3 or argv[0] not in ("auto", "legacy") or expect not in ("confirmed", "refused"):
        raise SystemExit(__doc__)
    asyncio.run(main(expect, argv[0], argv[1], argv[2], argv[3:]))
