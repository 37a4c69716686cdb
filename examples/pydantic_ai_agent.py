"""A Pydantic AI agent whose tools are found by toolrouter: tool search over deferred tools, and per-step routing.

``tool_search(...)`` is Pydantic AI's ``ToolSearch`` capability with toolrouter's cross-encoder as the
search strategy: the tools stay hidden (deferred) until the model's ``search_tools`` call finds them.
``ToolrouterToolSelector`` needs no search call: a ``PrepareTools`` function that shows each step
the tools the latest request needs. The model here is Pydantic AI's ``FunctionModel`` playing a
scripted model (printing the tools it is offered), so the example runs offline on the bundled model;
use ``Agent("openai-responses:gpt-5.4", ...)`` for a real one. Run::

    python examples/pydantic_ai_agent.py
"""

from __future__ import annotations

from pydantic_ai import Agent
from pydantic_ai.capabilities import PrepareTools
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolSearchReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from toolrouter import Router
from toolrouter.integrations.pydantic_ai import ToolrouterToolSelector, tool_search


def get_weather(city: str) -> str:
    """Current weather and temperature for a city."""
    return f"21 °C and sunny in {city}"


def convert_currency(amount: float, source: str, target: str) -> float:
    """Convert an amount of money between two currencies at today's rate."""
    return round(amount * 0.92, 2)


def book_hotel(city: str, nights: int) -> str:
    """Book a hotel room in a city for a number of nights."""
    return f"booked {nights} nights in {city}"


def send_email(to: str, subject: str, body: str) -> str:
    """Send an email to a recipient."""
    return "sent"


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


def scripted(*replies: list) -> FunctionModel:
    """A model that prints the tools each step offers and gives the scripted replies in turn."""
    steps = list(replies)

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        found = [match["name"] for part in messages[-1].parts if isinstance(part, ToolSearchReturnPart)
                 for match in part.content["discovered_tools"]]
        if found:
            print(f"  search found: {', '.join(found)}")
        print(f"  step sees {len(info.function_tools)} tools: {', '.join(t.name for t in info.function_tools)}")
        return ModelResponse(parts=steps.pop(0))

    return FunctionModel(reply)


def main() -> None:
    router = Router()  # the bundled offline model; one router serves both agents

    print("tool search (every tool deferred until found):")
    model = scripted([ToolCallPart("search_tools", {"queries": ["Dollar in Euro umrechnen"]})],
                     [ToolCallPart("convert_currency", {"amount": 250, "source": "USD", "target": "EUR"})],
                     [TextPart("250 USD are 230 EUR.")])
    agent = Agent(model, tools=TOOLS, capabilities=[tool_search(router, tools="all", k=3)])
    print(f"answer: {agent.run_sync('Wie viel sind 250 Dollar in Euro?').output}\n")

    print("per-step routing (k=3):")
    model = scripted([ToolCallPart("get_weather", {"city": "Lisbon"})], [TextPart("Sunny, 21 °C.")])
    agent = Agent(model, tools=TOOLS, capabilities=[PrepareTools(ToolrouterToolSelector(router, k=3))])
    print(f"answer: {agent.run_sync('What is the weather like in Lisbon this weekend?').output}")


if __name__ == "__main__":
    main()
