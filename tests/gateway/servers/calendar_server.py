"""A tiny MCP calendar server over stdio, for the gateway tests."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("calendar", instructions="Events and meetings on the team calendar.")


@server.tool()
def create_event(title: str, date: str) -> str:
    """Create a calendar event (meeting, appointment) on a date."""
    return f"created event {title!r} on {date}"


@server.tool()
def search(query: str) -> str:
    """Search calendar events by title."""
    return f"1 event matches {query!r}"


if __name__ == "__main__":
    server.run()
