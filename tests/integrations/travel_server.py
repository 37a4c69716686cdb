"""An MCP server over stdio serving the integration tests' ten functions (``conftest.FUNCTIONS``) as tools."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: make ``tests`` importable

from mcp.server.mcpserver import MCPServer

from tests.integrations.conftest import FUNCTIONS

server = MCPServer("travel")
for function in FUNCTIONS:
    server.tool()(function)

if __name__ == "__main__":
    server.run()
