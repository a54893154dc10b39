"""Drives the `notes` example over stdio with the official Python SDK client (PyPI `mcp`).

Usage: python python/stdio_notes.py <auto|legacy> <server binary> [args...]
`auto` is the client's default: it probes `server/discover` (2026-07-28) and falls back to
`initialize`; `legacy` goes straight to `initialize`. Exits non-zero when anything is off.
"""

import asyncio
import re
import sys

from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError


async def main(mode: str, command: str, args: list[str]) -> None:
    params = StdioServerParameters(command=command, args=args)
    async with Client(params, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"search_notes", "add_note", "delete_note"} <= tools.keys(), tools.keys()
        assert tools["search_notes"].annotations.read_only_hint is True
        assert tools["add_note"].annotations.destructive_hint is False

        added = await client.call_tool("add_note", {"title": "From Python", "body": "snake hello"})
        assert not added.is_error, added
        note_id = int(re.search(r"\d+", added.content[0].text).group(0))

        found = await client.call_tool("search_notes", {"query": "snake"})
        assert "From Python" in found.content[0].text, found

        bad = await client.call_tool("delete_note", {})
        assert bad.is_error, bad

        read = await client.read_resource(f"notes://{note_id}")
        assert read.contents[0].text.startswith("# From Python"), read

        prompt = await client.get_prompt("summarize", {"id": str(note_id)})
        assert f"notes://{note_id}" in prompt.messages[0].content.text, prompt

        await client.call_tool("delete_note", {"id": note_id})
        try:
            await client.read_resource(f"notes://{note_id}")
        except MCPError as e:
            assert e.code == -32002, e
        else:
            raise AssertionError("reading a deleted note must fail")
    print(f"python stdio interop ({mode}): ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
