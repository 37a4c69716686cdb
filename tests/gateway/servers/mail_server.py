"""A tiny MCP mail server over stdio, for the gateway tests."""

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("mail")


@server.tool()
def send_email(to: str, subject: str, body: str = "") -> str:
    """Send an email message to a recipient address."""
    return f"sent email to {to}: {subject}"


@server.tool()
def search(query: str) -> str:
    """Search the inbox for email messages matching the words."""
    return f"2 emails match {query!r}"


@server.tool()
def delete_mailbox(mailbox: str) -> str:
    """Delete a whole mailbox folder."""
    raise ToolError(f"mailbox {mailbox!r} is protected")


if __name__ == "__main__":
    server.run()
