"""A FastMCP server whose clients search its tools instead of listing them all, ranked by toolrouter.

``ToolrouterSearchTransform`` is a FastMCP search transform (like its ``BM25SearchTransform``):
``list_tools`` returns ``search_tools`` and ``call_tool``, searches rank every tool with toolrouter's
cross-encoder, so a request in German or Japanese finds an English-described tool. The client here is
FastMCP's in-memory ``Client``, playing the model; the example runs offline on the bundled model. Run::

    python examples/fastmcp_search.py
"""

from __future__ import annotations

import asyncio
import json

from fastmcp import Client, FastMCP

from toolrouter import Router
from toolrouter.integrations.fastmcp import ToolrouterSearchTransform

mcp = FastMCP("travel")


@mcp.tool
def get_weather(city: str) -> str:
    """Current weather and temperature for a city."""
    return f"21 °C and sunny in {city}"


@mcp.tool
def convert_currency(amount: float, source: str, target: str) -> str:
    """Convert an amount of money between two currencies at today's rate."""
    return f"{amount * 0.92:.2f} {target}"


@mcp.tool
def book_hotel(city: str, nights: int) -> str:
    """Book a hotel room in a city for a number of nights."""
    return f"booked {nights} nights in {city}"


@mcp.tool
def send_email(to: str, subject: str, body: str = "") -> str:
    """Send an email to a recipient."""
    return f"email to {to} sent: {subject}"


@mcp.tool
def create_calendar_event(title: str, start: str) -> str:
    """Add an event to the user's calendar."""
    return f"event {title!r} added on {start}"


@mcp.tool
def search_flights(origin: str, destination: str, date: str) -> str:
    """Find flights between two airports on a date."""
    return "TP1351 08:05"


@mcp.tool
def translate_text(text: str, language: str) -> str:
    """Translate text into another language."""
    return text


@mcp.tool
def play_music(song: str) -> str:
    """Play a song on the living-room speaker."""
    return f"playing {song}"


# (the request, the arguments the model would give the tool it picks)
REQUESTS = [
    ("Schreib Anna per Mail, dass ich später komme", {"to": "anna@example.com", "subject": "Ich komme später"}),
    ("リスボンの天気は？", {"city": "Lisbon"}),
]


async def client() -> None:
    async with Client(mcp) as session:
        print(f"the client sees: {', '.join(tool.name for tool in await session.list_tools())}")
        for request, arguments in REQUESTS:
            found = json.loads((await session.call_tool("search_tools", {"query": request})).content[0].text)
            names = [tool["name"] for tool in found]
            print(f"search_tools({request!r}) -> {', '.join(names)}")
            result = await session.call_tool("call_tool", {"name": names[0], "arguments": arguments})
            print(f"call_tool({names[0]}) -> {result.content[0].text}")


def main() -> None:
    mcp.add_transform(ToolrouterSearchTransform(Router(), max_results=3))  # the bundled offline model
    asyncio.run(client())


if __name__ == "__main__":
    main()
