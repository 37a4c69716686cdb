"""Route tools inside the official Anthropic client, with client-side tool search for the rest.

``toolrouter.anthropic.wrap`` puts the router between ``client.messages.create`` and the API: each
request sends the few tools that turn needs. With ``tool_search=True`` the other tools are sent with
``defer_loading: true`` (out of the model's context) beside a search tool; when the model searches,
``answer_tool_search`` routes its query and answers with ``tool_reference`` blocks, which load the
matching tools.

The "Messages API" here is a scripted stand-in on loopback (the standard library's HTTP server), so
the example runs offline on the bundled model; it prints what each request carried. With a real key,
drop ``base_url`` and the script. Run::

    python examples/anthropic_agent.py
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from anthropic import Anthropic

from toolrouter import Router
from toolrouter.anthropic import SEARCH_TOOL_NAME, answer_tool_search, loaded_tools, wrap


def tool(name: str, description: str, **properties: str) -> dict[str, Any]:
    """An Anthropic custom tool taking string arguments (name -> description)."""
    return {"name": name, "description": description, "input_schema": {
        "type": "object", "required": list(properties),
        "properties": {key: {"type": "string", "description": text} for key, text in properties.items()}}}


TOOLS = [
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},  # a server tool: always sent as is
    tool("get_weather", "Current weather and forecast for a city.", city="City name, e.g. Lisbon"),
    tool("convert_currency", "Convert an amount of money between two currencies at today's rate.",
         amount="The amount", source="ISO 4217 code converted from", target="ISO 4217 code converted to"),
    tool("book_hotel", "Book a hotel room in a city for some nights.", city="Where to stay",
         check_in="Arrival date, YYYY-MM-DD", nights="Number of nights"),
    tool("search_flights", "Find flights between two airports on a date.", origin="IATA code",
         destination="IATA code", date="YYYY-MM-DD"),
    tool("send_email", "Send an email to a recipient.", to="Recipient address", subject="Subject", body="Text"),
    tool("create_calendar_event", "Add an event to the user's calendar.", title="Title", start="ISO 8601 start"),
    tool("read_file", "Read a text file from the workspace.", path="File path"),
    tool("list_directory", "List the files in a workspace directory.", path="Directory path"),
    tool("search_code", "Full-text search over the repository's source code.", pattern="Search pattern"),
    tool("get_stock_price", "Latest trading price of a stock ticker.", ticker="Ticker symbol, e.g. AAPL"),
    tool("translate_text", "Translate text into another language.", text="The text", language="Target language"),
]

# The scripted model's turns: the content blocks it answers with, in order.
SCRIPT: list[list[dict[str, Any]]] = [
    [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Lisbon"}}],
    [{"type": "tool_use", "id": "toolu_2", "name": SEARCH_TOOL_NAME,
      "input": {"query": "convert money from dollars to euros"}}],
    [{"type": "tool_use", "id": "toolu_3", "name": "convert_currency",
      "input": {"amount": "250", "source": "USD", "target": "EUR"}}],
    [{"type": "text", "text": "Sunny, 21 °C; 250 USD is about 230 EUR."}],
]


@contextmanager
def scripted_messages_api() -> Iterator[str]:
    """A loopback stand-in for ``POST /v1/messages`` that prints the tools each request carries."""
    turns = iter(SCRIPT)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            shown = [t["name"] for t in body["tools"] if not t.get("defer_loading")]
            deferred = [t["name"] for t in body["tools"] if t.get("defer_loading")]
            loaded = loaded_tools(body["messages"])  # deferred, but loaded by an earlier search
            print(f"  request: model sees {', '.join([*shown, *loaded])}  ({len(deferred)} deferred"
                  + (f", of which loaded by search: {', '.join(loaded)})" if loaded else ")"))
            content = next(turns)
            stop = "tool_use" if content[0]["type"] == "tool_use" else "end_turn"
            answer = json.dumps({"id": "msg", "type": "message", "role": "assistant", "model": body["model"],
                                 "content": content, "stop_reason": stop, "stop_sequence": None,
                                 "usage": {"input_tokens": 0, "output_tokens": 0}}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:  # keep the output to what the example shows
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def main() -> None:
    router = Router()
    custom = [t for t in TOOLS if "input_schema" in t]
    with scripted_messages_api() as url:
        client = wrap(Anthropic(base_url=url, api_key="offline", max_retries=0), router, k=1, tool_search=True)
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": "What's the weather in Lisbon, and how much is 250 dollars in euros?"}]
        print(f"{len(custom)} custom tools and 1 server tool; k=1, tool search on\n")
        for turn in range(1, len(SCRIPT) + 1):
            print(f"turn {turn}")
            reply = client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, messages=messages,
                                           tools=TOOLS)
            messages.append({"role": "assistant", "content": reply.content})
            calls = [block for block in reply.content if block.type == "tool_use"]
            if not calls:
                print(f"  answer: {reply.content[0].text}")
                break
            call = calls[0]
            if call.name == SEARCH_TOOL_NAME:
                result = answer_tool_search(call, TOOLS, router, k=2)
                loaded = [ref["tool_name"] for ref in result["content"]]
                print(f"  model searched {call.input['query']!r} -> loaded {', '.join(loaded)}")
                assert "convert_currency" in loaded, "the search did not find the tool the model needs"
            else:
                print(f"  model calls {call.name}({json.dumps(call.input)})")
                result = {"type": "tool_result", "tool_use_id": call.id, "content": "ok"}
            messages.append({"role": "user", "content": [result]})


if __name__ == "__main__":
    main()
