"""One MCP server in front of many: the gateway routes a mail, a calendar and a weather server's tools.

The client (an agent, Claude Desktop, Cursor ...) launches ``toolrouter mcp --config servers.json``
instead of each server. It then sees two tools, ``search_tools`` and ``call_tool``, whatever the
number of upstream tools: it searches with the task in words, gets the best tools' definitions,
and calls one. With ``--expose 2`` the last search's top two tools are also listed directly, and
the client is told the list changed.

Here this script is all the parts: with ``--serve NAME`` it is one of the small upstream servers;
without, it writes the config, starts the gateway (``python -m toolrouter.gateway``, the same as
``toolrouter mcp``) and is its MCP client. Runs offline on the bundled model; needs
``pip install 'toolrouter[mcp]'``. Run::

    python examples/mcp_gateway.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.server.mcpserver import MCPServer

# (the request, the arguments the model would give the tool it picks)
REQUESTS = [
    ("Schreib Anna per Mail, dass ich später komme", {"to": "anna@example.com", "subject": "Ich komme später"}),
    ("Put a dentist appointment in my calendar for March 3rd", {"title": "Dentist", "date": "2026-03-03"}),
    ("will it rain in Lisbon tomorrow?", {"city": "Lisbon", "days": 2}),
]


def upstream(name: str) -> MCPServer:
    """One of the small upstream servers: ``mail``, ``calendar`` or ``weather``."""
    server = MCPServer(name)
    if name == "mail":
        @server.tool()
        def send_email(to: str, subject: str, body: str = "") -> str:
            """Send an email to a recipient."""
            return f"email to {to} sent: {subject}"

        @server.tool()
        def search_inbox(query: str) -> str:
            """Search received emails by sender, subject or words."""
            return f"3 emails match {query!r}"
    elif name == "calendar":
        @server.tool()
        def create_event(title: str, date: str) -> str:
            """Add an event (meeting, appointment) to the calendar on a date (YYYY-MM-DD)."""
            return f"event {title!r} added on {date}"

        @server.tool()
        def list_events(date: str) -> str:
            """List the calendar's events on a date."""
            return f"no events on {date}"
    else:
        @server.tool()
        def get_forecast(city: str, days: int = 1) -> str:
            """Weather forecast for a city: temperature and chance of rain for the next days."""
            return f"{city}: 60% chance of rain over the next {days} days"
    return server


def text(result: types.CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def client(config: Path, registry: Path) -> None:
    """Start the gateway over stdio and use it the way a model would."""
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    gateway = StdioServerParameters(command=sys.executable, args=[
        "-m", "toolrouter.gateway", "--config", str(config), "--registry", str(registry), "--expose", "2"])
    async with (
        stdio_client(gateway) as (read, write),
        ClientSession(read, write, message_handler=on_message) as session,
    ):
        await session.initialize()
        listed = (await session.list_tools()).tools
        print("the client sees:", ", ".join(tool.name for tool in listed))
        print(f"  {listed[0].description}\n")
        for request, arguments in REQUESTS:
            changed = anyio.Event()
            found = json.loads(text(await session.call_tool("search_tools", {"query": request, "k": 3})))
            print(f"search_tools({request!r}):")
            for rank, tool in enumerate(found, start=1):
                print(f"  {rank}. {tool['name']}: {tool['description']}")
            with anyio.move_on_after(10):  # sent when the search changed the exposed tools
                await changed.wait()
            if changed.is_set():
                exposed = [tool.name for tool in (await session.list_tools()).tools[2:]]
                print(f"  tools/list_changed: now also listed directly: {', '.join(exposed)}")
            result = await session.call_tool("call_tool", {"name": found[0]["name"], "arguments": arguments})
            print(f"call_tool({found[0]['name']}) -> {text(result)}\n")
    print(f"registry of the upstream tools saved to {registry.name} (their servers may be down next time)")


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        upstream(sys.argv[2]).run()  # stdio: the gateway launched this process
        return
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "servers.json"
        servers = {name: {"command": sys.executable, "args": [str(Path(__file__).resolve()), "--serve", name]}
                   for name in ("mail", "calendar", "weather")}
        config.write_text(json.dumps({"mcpServers": servers}, indent=1), encoding="utf-8")
        anyio.run(client, config, Path(directory) / "registry.json")


if __name__ == "__main__":
    main()
