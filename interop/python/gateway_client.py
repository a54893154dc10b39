"""Drives the `gateway` example (notes on stdio and tickets on HTTP mounted behind it) with the
official Python SDK client (PyPI `mcp`) over streamable HTTP, in its default mode (`auto`).

Usage: python python/gateway_client.py <url of the gateway's /mcp endpoint>
Exits non-zero when anything is not as expected.
"""

import asyncio
import sys

from mcp import Client

EXPECTED = {
    # name: (readOnly, destructive, idempotent)
    "notes.search_notes": (True, False, True),
    "notes.add_note": (False, False, False),
    "notes.export_notes": (True, False, True),
    "tickets.search_tickets": (True, False, True),
    "tickets.get_ticket": (True, False, True),
    "tickets.create_ticket": (False, False, False),
    "tickets.delete_ticket": (False, True, True),
}


async def main(url: str) -> None:
    async with Client(url) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert sorted(tools) == sorted(EXPECTED), sorted(tools)
        for name, (read_only, destructive, idempotent) in EXPECTED.items():
            hints = tools[name].annotations
            assert hints.read_only_hint is read_only, (name, hints)
            assert hints.destructive_hint is destructive, (name, hints)
            assert hints.idempotent_hint is idempotent, (name, hints)
        assert "title" in tools["tickets.create_ticket"].input_schema["properties"]

        created = await client.call_tool("tickets.create_ticket", {"title": "From Python via the gateway"})
        assert not created.is_error, created
        ticket_id = created.structured_content["id"]
        got = await client.call_tool("tickets.get_ticket", {"id": ticket_id})
        assert got.structured_content["title"] == "From Python via the gateway", got

        note = await client.call_tool("notes.add_note", {"title": "py", "body": "through the gateway"})
        assert not note.is_error, note
        found = await client.call_tool("notes.search_notes", {"query": "through the gateway"})
        assert found.structured_content["notes"], found

        progress: list[float] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        exported = await client.call_tool("notes.export_notes", {}, progress_callback=on_progress)
        assert not exported.is_error, exported
        assert progress, "no progress through the gateway"
    print("gateway client: ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
