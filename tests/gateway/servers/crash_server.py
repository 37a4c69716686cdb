"""A tiny MCP server whose one tool kills the server process mid-call, for the gateway tests."""

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("crash")


@server.tool()
def crash_now() -> str:
    """Stop the server process at once."""
    os._exit(1)


if __name__ == "__main__":
    server.run()
