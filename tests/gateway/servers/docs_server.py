"""A tiny MCP docs server over streamable HTTP on 127.0.0.1, for the gateway tests.

    python docs_server.py PORT
"""

import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("docs")


@server.tool()
def search_docs(query: str, ctx: Context) -> str:
    """Search the product documentation pages."""
    team = (ctx.headers or {}).get("x-team", "nobody")
    return f"docs for {query!r}, asked by team {team}"


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
