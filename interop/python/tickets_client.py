"""Drives the `tickets` example with the official Python SDK client (PyPI `mcp`), over stdio or HTTP,
in the client's default mode (`auto`), which reaches protocol 2026-07-28 with our server.

Usage: python python/tickets_client.py stdio <server binary> [args...]
       python python/tickets_client.py http <url of the /mcp endpoint>
Exits non-zero when anything is not as expected.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

# name: (readOnly, destructive, idempotent, required inputs)
EXPECTED = {
    "search_tickets": (True, False, True, []),
    "show_board": (True, False, True, []),
    "get_ticket": (True, False, True, ["id"]),
    "create_ticket": (False, False, False, ["title"]),
    "update_ticket": (False, True, True, ["id"]),
    "add_comment": (False, False, False, ["body", "id"]),
    "delete_ticket": (False, True, True, ["id"]),
    "escalate_ticket": (False, False, False, ["id", "to"]),
}


def schema(model):
    return model if isinstance(model, dict) else model.model_dump(by_alias=True, exclude_none=True)


async def main(mode: str, target: str, args: list[str]) -> None:
    server = StdioServerParameters(command=target, args=args) if mode == "stdio" else target
    async with Client(server) as client:
        # The default mode (`auto`) finds our server speaks 2026-07-28 and uses it.
        version = client.protocol_version
        assert version in MODERN_PROTOCOL_VERSIONS, version
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert sorted(tools) == sorted(EXPECTED), sorted(tools)
        for name, (read_only, destructive, idempotent, required) in EXPECTED.items():
            tool = tools[name]
            hints = tool.annotations
            assert hints.read_only_hint is read_only, (name, hints)
            assert hints.destructive_hint is destructive, (name, hints)
            assert hints.idempotent_hint is idempotent, (name, hints)
            assert hints.open_world_hint is False, (name, hints)
            assert tool.title, name
            inputs = schema(tool.input_schema)
            assert inputs["type"] == "object", (name, inputs)
            assert sorted(inputs.get("required", [])) == required, (name, inputs)
            if name == "delete_ticket":
                # It answers a preview or the deletion, so it declares no output schema.
                assert tool.output_schema is None, name
            else:
                assert schema(tool.output_schema)["type"] == "object", name
        assert "idempotency_key" in schema(tools["create_ticket"].input_schema)["properties"]
        # The board is an MCP Apps page: the link survives the official client.
        board = tools["show_board"].model_dump(by_alias=True, exclude_none=True)
        assert board["_meta"]["ui"]["resourceUri"] == "ui://tickets/board", board

        key = f"py-{mode}-{os.getpid()}"
        create = {"title": f"From Python over {mode}", "body": "snake hello", "idempotency_key": key}
        created = await client.call_tool("create_ticket", create)
        assert not created.is_error, created
        ticket_id = created.structured_content["id"]
        assert created.structured_content["status"] == "open"
        assert json.loads(created.content[0].text) == created.structured_content
        retried = await client.call_tool("create_ticket", create)
        assert retried.structured_content["id"] == ticket_id, "the same key creates one ticket"

        updated = await client.call_tool("update_ticket", {"id": ticket_id, "status": "in_progress", "assignee": "py"})
        assert not updated.is_error, updated
        assert updated.structured_content["status"] == "in_progress"
        refused = await client.call_tool("update_ticket", {"id": ticket_id, "status": "closed", "body": "nope"})
        assert refused.is_error and "cannot move to closed" in refused.content[0].text, refused
        unknown = await client.call_tool("add_comment", {"id": 999999, "body": "hi"})
        assert unknown.is_error and "does not exist" in unknown.content[0].text, unknown

        commented = await client.call_tool("add_comment", {"id": ticket_id, "body": "from python", "author": "py"})
        assert commented.structured_content["comments"][-1]["author"] == "py", commented

        read = await client.read_resource(f"tickets://{ticket_id}")
        ticket = json.loads(read.contents[0].text)
        assert ticket["status"] == "in_progress" and ticket["assignee"] == "py", ticket
        assert ticket["body"] == "snake hello", "the refused update changed nothing"
        assert len(ticket["comments"]) == 1, ticket

        found = await client.call_tool("search_tickets", {"query": f"over {mode}", "status": "in_progress"})
        assert any(t["id"] == ticket_id for t in found.structured_content["tickets"]), found

        # This client declares no elicitation: the first call previews, the token confirms.
        preview = await client.call_tool("delete_ticket", {"id": ticket_id})
        token = preview.structured_content["confirmation_token"]
        deleted = await client.call_tool("delete_ticket", {"id": ticket_id, "confirmation_token": token})
        assert not deleted.is_error and deleted.structured_content["comments_deleted"] == 1, deleted
        try:
            await client.read_resource(f"tickets://{ticket_id}")
        except MCPError as e:
            # 2026-07-28 retired -32002: resource not found is -32602 there.
            assert e.code == -32602, e
        else:
            raise AssertionError("reading a deleted ticket must fail")
    print(f"python tickets interop over {mode} (protocol {version}): ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
