"""Drives the `notes` example with the official Python SDK client (PyPI `mcp`).

    python python/notes.py <auto|legacy> stdio <server binary>
    python python/notes.py <auto|legacy> http  <base url>     streamable HTTP at <base url>/mcp
    python python/notes.py legacy        sse   <base url>     legacy HTTP+SSE at <base url>/sse

`auto` is the client's default: it probes `server/discover` and, since our server answers it,
speaks 2026-07-28 (no handshake; every request carries its `_meta`). `legacy` goes straight
to `initialize` (2025-11-25). Lists tools and
checks their hints, calls a read and a write tool, receives progress, reads a resource, gets a
prompt. Exits non-zero when anything is off.
"""

import asyncio
import sys

from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS


def server_for(kind: str, target: str):
    if kind == "stdio":
        return StdioServerParameters(command=target, args=[])
    if kind == "http":
        return f"{target}/mcp"
    if kind == "sse":
        return sse_client(f"{target}/sse")
    raise SystemExit(f"unknown transport {kind!r}")


async def main(mode: str, kind: str, target: str) -> None:
    async with Client(server_for(kind, target), mode=mode) as client:
        version = client.protocol_version
        modern = version in MODERN_PROTOCOL_VERSIONS
        # `legacy` stays in the handshake era; `auto` must reach 2026-07-28 over stdio and
        # streamable HTTP (over legacy SSE it does too today, but that transport predates it).
        if mode == "legacy" or kind != "sse":
            assert modern == (mode == "auto"), version
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"search_notes", "add_note", "delete_note", "export_notes"}, tools.keys()
        hints = tools["search_notes"].annotations
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True, False, True, False), hints
        assert tools["add_note"].annotations.read_only_hint is False
        assert tools["add_note"].annotations.destructive_hint is False
        assert tools["add_note"].output_schema["type"] == "object"

        added = await client.call_tool("add_note", {"title": f"From Python over {kind}", "body": "snake hello"})
        assert not added.is_error, added
        note_id = added.structured_content["id"]

        found = await client.call_tool("search_notes", {"query": "snake"})
        assert any(n["id"] == note_id for n in found.structured_content["notes"]), found

        progress: list[float] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        exported = await client.call_tool("export_notes", {}, progress_callback=on_progress)
        assert "snake hello" in exported.content[0].text, exported
        assert len(progress) >= 3 and progress == sorted(progress), progress

        bad = await client.call_tool("delete_note", {})
        assert bad.is_error and "`id`" in bad.content[0].text, bad

        read = await client.read_resource(f"notes://{note_id}")
        assert read.contents[0].text.startswith(f"# From Python over {kind}"), read

        prompt = await client.get_prompt("summarize", {"id": str(note_id)})
        assert f"notes://{note_id}" in prompt.messages[0].content.text, prompt

        await client.call_tool("delete_note", {"id": note_id})
        try:
            await client.read_resource(f"notes://{note_id}")
        except MCPError as e:
            # 2026-07-28 retired -32002: resource not found is -32602 there.
            assert e.code == (-32602 if modern else -32002), e
        else:
            raise AssertionError("reading a deleted note must fail")
    print(f"python {kind} interop ({mode}, protocol {version}): ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
