"""A small server on the official Python SDK (PyPI `mcp`, `MCPServer`), for our Rust client's
interop tests: a typed tool, a tool with progress, a tool that asks the user (elicitation), a
resource and a prompt.

Usage: python python/server.py stdio
       python python/server.py http PORT      streamable HTTP at http://127.0.0.1:PORT/mcp
"""

import sys

from pydantic import BaseModel

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer(name="py-fixture", version="1.0.0")


class Sum(BaseModel):
    total: int


class Name(BaseModel):
    name: str = "Ada"


@server.tool()
def add(a: int, b: int) -> Sum:
    """Add two numbers."""
    return Sum(total=a + b)


@server.tool()
async def count(to: int, ctx: Context) -> str:
    """Count up, reporting progress."""
    for i in range(to):
        await ctx.report_progress(i + 1, to, f"step {i + 1}")
    return f"counted to {to}"


@server.tool()
async def greet_user(ctx: Context) -> str:
    """Ask the user's name, then greet them."""
    answer = await ctx.elicit("What is your name?", Name)
    if answer.action != "accept":
        return "no name given"
    return f"Hello, {answer.data.name}!"


@server.resource("fixture://readme")
def readme() -> str:
    """A text resource."""
    return "read me"


@server.prompt()
def summarize(topic: str) -> str:
    """A prompt with one argument."""
    return f"Summarize {topic}."


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
