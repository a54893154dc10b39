"""Drives the `tickets` example's safe writes with the official Python SDK client (PyPI `mcp`) over
streamable HTTP, in the client's default mode (`auto`, protocol 2026-07-28 with our server).

    python python/safe_writes_client.py <url of the /mcp endpoint>
    python python/safe_writes_client.py --legacy <token|elicitation> <url of the /mcp endpoint>

The server must run with `--fail-step escalate_ticket:3`.

With `--legacy`, the client speaks 2025-11-25 (the `initialize` handshake) and declares
elicitation, and deletes ticket 5: over stateless HTTP the server cannot send it a request, so it
must get the token path (and its callback must not run); over stateful HTTP (`--stateful`) the
server asks it through `elicitation/create`.

1. delete_ticket, token path: this client declares no elicitation, so the first call changes
   nothing and returns a preview with a confirmation_token (in the text and in
   structuredContent); the call with the token deletes; the token is refused the second time,
   and refused for other arguments.
2. delete_ticket, elicitation path: a second client with an elicitation callback is asked (an
   `input_required` round in 2026-07-28) and, once it accepts, the ticket is deleted at once.
3. create_ticket with an idempotency key, twice: one ticket, the replay marked in `_meta`.
4. escalate_ticket: step 3 fails; steps 2 and 1 are undone in reverse order and the tool error
   says so; the ticket is as it was.

Prints one line of JSON summarising what happened; exits non-zero when anything is off.
"""

import asyncio
import json
import sys

import mcp_types as types
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

REPLAY_META = "mcp-rust-sdk/replay"


async def main(url: str) -> None:
    summary: dict = {}
    async with Client(url) as client:
        assert client.protocol_version in MODERN_PROTOCOL_VERSIONS, client.protocol_version
        summary["protocol"] = client.protocol_version
        tools = {t.name: t for t in (await client.list_tools()).tools}
        delete_schema = tools["delete_ticket"].input_schema
        delete_schema = delete_schema if isinstance(delete_schema, dict) else delete_schema.model_dump()
        assert delete_schema["properties"]["confirmation_token"]["type"] == "string", delete_schema
        assert delete_schema.get("required") == ["id"], delete_schema

        # 1. The token path.
        preview = await client.call_tool("delete_ticket", {"id": 3})
        assert not preview.is_error, preview
        token = preview.structured_content["confirmation_token"]
        assert preview.structured_content["confirmation_required"] is True
        assert preview.structured_content["preview"].startswith("This will permanently delete ticket 3"), preview
        assert token in preview.content[0].text, "the model reads the token in the text"
        still_there = await client.call_tool("get_ticket", {"id": 3})
        assert not still_there.is_error, "the first call changed nothing"
        other = await client.call_tool("delete_ticket", {"id": 1, "confirmation_token": token})
        assert other.is_error and "different arguments" in other.content[0].text, other
        deleted = await client.call_tool("delete_ticket", {"id": 3, "confirmation_token": token})
        assert not deleted.is_error, deleted
        assert deleted.structured_content["id"] == 3, deleted
        reused = await client.call_tool("delete_ticket", {"id": 3, "confirmation_token": token})
        assert reused.is_error and "already used" in reused.content[0].text, reused
        summary["token_path"] = "deleted ticket 3; token refused for other arguments and on reuse"

        # 3. Retry-safe create.
        create = {"title": "Python retry", "idempotency_key": "py-safe-writes-1"}
        first = await client.call_tool("create_ticket", create)
        again = await client.call_tool("create_ticket", create)
        assert first.structured_content["id"] == again.structured_content["id"], (first, again)
        assert again.meta and again.meta[REPLAY_META]["reason"] == "idempotency_key", again.meta
        summary["replay"] = again.meta[REPLAY_META]

        # 4. The saga's rollback.
        before = (await client.call_tool("get_ticket", {"id": 1})).structured_content
        failed = await client.call_tool("escalate_ticket", {"id": 1, "to": "dana"})
        assert failed.is_error, failed
        text = failed.content[0].text
        assert "record_comment" in text and "injected failure" in text, text
        assert "Undone, in reverse order: page_oncall, raise_priority." in text, text
        after = (await client.call_tool("get_ticket", {"id": 1})).structured_content
        assert (after["priority"], after["assignee"], len(after["comments"])) == (
            before["priority"],
            before["assignee"],
            len(before["comments"]),
        ), (before, after)
        summary["rollback"] = text

    # 2. The elicitation path: a client that can be asked is asked.
    asked: list[str] = []

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={})

    async with Client(url, elicitation_callback=on_elicit) as client:
        deleted = await client.call_tool("delete_ticket", {"id": 4})
        assert not deleted.is_error, deleted
        assert deleted.structured_content["id"] == 4, deleted
        assert len(asked) == 1 and asked[0].startswith("This will permanently delete ticket 4"), asked
        summary["elicitation_path"] = asked[0]
    print(json.dumps(summary))


async def legacy(expect: str, url: str) -> None:
    asked: list[str] = []

    async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={})

    async with Client(url, mode="legacy", elicitation_callback=on_elicit) as client:
        assert client.protocol_version == "2025-11-25", client.protocol_version
        first = await client.call_tool("delete_ticket", {"id": 5})
        assert not first.is_error, first
        if expect == "token":
            assert asked == [], "a stateless server cannot ask; it must not try"
            token = first.structured_content["confirmation_token"]
            deleted = await client.call_tool("delete_ticket", {"id": 5, "confirmation_token": token})
        else:
            assert len(asked) == 1 and asked[0].startswith("This will permanently delete ticket 5"), asked
            deleted = first
        assert deleted.structured_content["id"] == 5, deleted
    print(json.dumps({"protocol": "2025-11-25", "path": expect, "asked": asked}))


if __name__ == "__main__":
    if sys.argv[1] == "--legacy":
        asyncio.run(legacy(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(main(sys.argv[1]))
