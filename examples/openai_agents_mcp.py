"""OpenAI Agents SDK: an MCP server's tools narrowed per request, and a client-executed tool search answered.

``ToolrouterToolFilter`` is the MCP server's ``tool_filter``: each time the agent lists the server's
tools it lets through the ``k`` the run's request needs. ``answer_tool_search`` answers the Responses
API's client-executed ``tool_search`` with the deferred tools toolrouter ranks best (the SDK's
``Runner`` leaves such calls to the application, so here one is answered by hand, as a loop calling
the model itself would).

Here this script is all the parts: with ``--serve`` it is a small MCP server (stdio) with ten
tools; without, it runs an agent on it. The model is the SDK's ``ScriptedModel`` (it prints the tools
it is offered) and tracing is off, so the example runs offline on the bundled model. Run::

    python examples/openai_agents_mcp.py
"""

from __future__ import annotations

import asyncio
import sys

from agents import Agent, RunConfig, Runner, function_tool
from agents.mcp import MCPServerStdio
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from openai.types.responses import ResponseToolSearchCall

from toolrouter import Router
from toolrouter.integrations.openai_agents import ToolrouterToolFilter, answer_tool_search, search_tool


def get_weather(city: str) -> str:
    """Current weather and temperature for a city."""
    return f"21 °C and sunny in {city}"


def convert_currency(amount: float, source: str, target: str) -> str:
    """Convert an amount of money between two currencies at today's rate."""
    return f"{amount * 0.92:.2f} {target}"


def book_hotel(city: str, nights: int) -> str:
    """Book a hotel room in a city for a number of nights."""
    return f"booked {nights} nights in {city}"


def send_email(to: str, subject: str, body: str) -> str:
    """Send an email to a recipient."""
    return f"email to {to} sent"


def create_calendar_event(title: str, start: str) -> str:
    """Add an event to the user's calendar."""
    return "created"


def search_flights(origin: str, destination: str, date: str) -> str:
    """Find flights between two airports on a date."""
    return "TP1351 08:05"


def read_file(path: str) -> str:
    """Read a text file from the workspace."""
    return ""


def translate_text(text: str, language: str) -> str:
    """Translate text into another language."""
    return text


def play_music(song: str) -> str:
    """Play a song on the living-room speaker."""
    return "playing"


def order_food(restaurant: str, dish: str) -> str:
    """Order food for delivery from a restaurant."""
    return "ordered"


TOOLS = [get_weather, convert_currency, book_hotel, send_email, create_calendar_event, search_flights,
         read_file, translate_text, play_music, order_food]


def serve() -> None:
    """Run the ten tools as an MCP server on stdin/stdout."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("travel")
    for tool in TOOLS:
        server.tool()(tool)
    server.run()


def printing(step: list) -> ModelStep:
    """A scripted model step that first prints the tools the model is offered."""

    def respond(call):
        print(f"model sees {len(call.tools)} of {len(TOOLS)} tools: {', '.join(t.name for t in call.tools)}")
        return step

    return ModelStep.respond(respond)


async def run_agent(router: Router) -> None:
    model = ScriptedModel([printing([function_call("book_hotel", {"city": "Porto", "nights": 2}, call_id="c1")]),
                           printing([assistant_message("Booked: two nights in Porto.")])])
    server = MCPServerStdio(params={"command": sys.executable, "args": [__file__, "--serve"]}, name="travel",
                            tool_filter=ToolrouterToolFilter(router, k=3), client_session_timeout_seconds=60)
    async with server:
        agent = Agent(name="assistant", model=model, mcp_servers=[server])
        result = await Runner.run(agent, "Book me a hotel room in Porto for two nights",
                                  run_config=RunConfig(tracing_disabled=True))
    print(f"answer: {result.final_output}\n")


def answer_search(router: Router) -> None:
    deferred = [function_tool(tool, defer_loading=True) for tool in TOOLS]
    print(f"request tools: {len(deferred)} deferred + {search_tool().name} (execution={search_tool().execution})")
    # What the Responses API returns when the model searches (an output item of the response).
    call = ResponseToolSearchCall(type="tool_search_call", id="ts_1", call_id="call_1", execution="client",
                                  status="completed", arguments={"query": "Mail an Anna schicken"})
    output = answer_tool_search(call, deferred, router, k=2)
    print(f"{call.type}({call.arguments['query']!r}) -> {output['type']} loading "
          f"{', '.join(tool['name'] for tool in output['tools'])}")


def main() -> None:
    router = Router()  # the bundled offline model
    asyncio.run(run_agent(router))
    answer_search(router)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        main()
