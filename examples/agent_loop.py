"""Route tools inside an agent loop: each turn the model sees only the tools that turn needs.

The registry mixes the formats agents meet in practice: Python callables, OpenAI tools and an
MCP server's ``tools/list`` result (namespaced so names cannot clash). Each turn routes on the
conversation itself (``select_tools(messages=...)``): the latest user intent decides, and tools the
model already called stay in the list so it can finish what it started.

The model's replies are scripted so the example runs offline on the bundled model; in a real
loop, pass ``openai_tools(picked)`` as ``tools=`` to ``client.chat.completions.create``. Run::

    python examples/agent_loop.py
"""

from __future__ import annotations

import json
from typing import Any, Literal

from toolrouter import Router, Selection


def get_weather(city: str, units: Literal["celsius", "fahrenheit"] = "celsius") -> dict:
    """Current weather and temperature for a city.

    Args:
        city: City name, e.g. "Lisbon".
        units: Temperature units.
    """
    return {"city": city, "temperature": 21, "units": units}


def convert_currency(amount: float, source: str, target: str) -> float:
    """Convert an amount of money between two currencies at today's rate.

    Args:
        amount: The amount to convert.
        source: ISO 4217 code of the currency converted from, e.g. "USD".
        target: ISO 4217 code of the currency converted to, e.g. "EUR".
    """
    return round(amount * 0.92, 2)


def book_hotel(city: str, check_in: str, nights: int, guests: int = 1) -> str:
    """Book a hotel room.

    Args:
        city: Where to stay.
        check_in: Arrival date, YYYY-MM-DD.
        nights: Number of nights.
        guests: Number of guests.
    """
    return f"booked {nights} nights in {city}"


OPENAI_TOOLS = [
    {"type": "function", "function": {
        "name": "send_email", "description": "Send an email to one or more recipients.",
        "parameters": {"type": "object", "required": ["to", "subject", "body"], "properties": {
            "to": {"type": "array", "items": {"type": "string"}, "description": "Recipient addresses"},
            "subject": {"type": "string"}, "body": {"type": "string"}}}}},
    {"type": "function", "function": {
        "name": "create_calendar_event", "description": "Add an event to the user's calendar.",
        "parameters": {"type": "object", "required": ["title", "start"], "properties": {
            "title": {"type": "string"}, "start": {"type": "string", "description": "ISO 8601 start time"},
            "duration_minutes": {"type": "integer"}}}}},
    {"type": "function", "function": {
        "name": "search_flights", "description": "Find flights between two airports on a date.",
        "parameters": {"type": "object", "required": ["origin", "destination", "date"], "properties": {
            "origin": {"type": "string", "description": "IATA code"},
            "destination": {"type": "string", "description": "IATA code"},
            "date": {"type": "string", "description": "YYYY-MM-DD"}}}}},
]

# What an MCP server answers to tools/list.
MCP_TOOLS_LIST = {"tools": [
    {"name": "read_file", "description": "Read a text file from the workspace.",
     "inputSchema": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}},
    {"name": "list_directory", "description": "List the files in a workspace directory.",
     "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}}},
    {"name": "search_code", "description": "Full-text search over the repository's source code.",
     "inputSchema": {"type": "object", "required": ["pattern"], "properties": {"pattern": {"type": "string"}}}},
]}


def openai_tools(picked: list[Selection]) -> list[dict[str, Any]]:
    """The selected tools as OpenAI Chat Completions ``tools``, whatever format they came in."""
    return [{"type": "function", "function": {"name": s.item.name, "description": s.item.description,
                                              "parameters": s.item.parameters}} for s in picked]


def main() -> None:
    router = Router()
    router.add_tools([get_weather, convert_currency, book_hotel])
    router.add_tools(OPENAI_TOOLS)
    router.add_tools(MCP_TOOLS_LIST, namespace="files")
    print(f"{len(router.registry.tools)} tools: {', '.join(t.name for t in router.registry.tools)}\n")

    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What's the weather like in Lisbon this weekend?"}]
    # Scripted model turns: (tool call the model makes, user message that follows its answer).
    script = [
        ({"name": "get_weather", "arguments": {"city": "Lisbon"}},
         "Nice. Wie viel sind 250 Dollar in Euro?"),
        ({"name": "convert_currency", "arguments": {"amount": 250, "source": "USD", "target": "EUR"}},
         "Book me a hotel there for 3 nights from 2026-12-04 and put the trip in my calendar."),
        (None, None),
    ]
    for turn, (call, next_user) in enumerate(script, start=1):
        picked = router.select_tools(messages=messages, k=3)
        print(f"turn {turn}: {messages[-1]['content'] if messages[-1]['role'] == 'user' else '(tool result)'}")
        for s in picked:
            print(f"  {s.rank}. {s.name:28s} score {s.score:.3f}  {s.reason}")
        assert call is None or call["name"] in {s.name for s in picked}, "the model could not see its tool"
        print(f"  -> {len(openai_tools(picked))} of {len(router.registry.tools)} tool definitions sent\n")
        if call is None:
            break
        call_id = f"call_{turn}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": "ok"})
        messages.append({"role": "user", "content": next_user})


if __name__ == "__main__":
    main()
