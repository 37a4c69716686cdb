"""A LangChain agent whose model sees only the tools each turn needs, and a reranking compressor.

``ToolrouterToolSelector`` is agent middleware (like LangChain's ``LLMToolSelectorMiddleware``, but
scoring tools with toolrouter's cross-encoder instead of calling an LLM). The chat model here is
LangChain's scripted fake model, recording the tools it was bound with, so the example runs
offline on the bundled model; swap in ``init_chat_model("openai:gpt-4o-mini")`` for a real agent. Run::

    python examples/langchain_agent.py
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import Field

from toolrouter import Router
from toolrouter.integrations.langchain import ToolrouterReranker, ToolrouterToolSelector


@tool
def get_weather(city: str) -> str:
    """Current weather and temperature for a city."""
    return f"21 °C and sunny in {city}"


@tool
def convert_currency(amount: float, source: str, target: str) -> float:
    """Convert an amount of money between two currencies at today's rate."""
    return round(amount * 0.92, 2)


@tool
def book_hotel(city: str, nights: int) -> str:
    """Book a hotel room in a city for a number of nights."""
    return f"booked {nights} nights in {city}"


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email to a recipient."""
    return "sent"


@tool
def create_calendar_event(title: str, start: str) -> str:
    """Add an event to the user's calendar."""
    return "created"


@tool
def search_flights(origin: str, destination: str, date: str) -> str:
    """Find flights between two airports on a date."""
    return "TP1351 08:05"


@tool
def read_file(path: str) -> str:
    """Read a text file from the workspace."""
    return ""


@tool
def translate_text(text: str, language: str) -> str:
    """Translate text into another language."""
    return text


@tool
def play_music(song: str) -> str:
    """Play a song on the living-room speaker."""
    return "playing"


@tool
def order_food(restaurant: str, dish: str) -> str:
    """Order food for delivery from a restaurant."""
    return "ordered"


TOOLS = [get_weather, convert_currency, book_hotel, send_email, create_calendar_event, search_flights,
         read_file, translate_text, play_music, order_food]


class ScriptedModel(GenericFakeChatModel):
    """LangChain's fake chat model with ``bind_tools``: prints the tools of each model call."""

    calls: int = Field(default=0)

    def bind_tools(self, tools, **kwargs):
        self.calls += 1
        print(f"model call {self.calls} sees {len(tools)} of {len(TOOLS)} tools: {', '.join(t.name for t in tools)}")
        return self


def main() -> None:
    router = Router()  # the bundled offline model; one router can serve many middlewares and agents
    call = {"name": "get_weather", "args": {"city": "Lisbon"}, "id": "call_1", "type": "tool_call"}
    model = ScriptedModel(messages=iter([AIMessage("", tool_calls=[call]), AIMessage("Sunny, 21 °C.")]))
    agent = create_agent(model, tools=TOOLS, middleware=[ToolrouterToolSelector(router, k=3)])
    result = agent.invoke({"messages": [HumanMessage("What's the weather like in Lisbon this weekend?")]})
    print(f"answer: {result['messages'][-1].content}\n")

    documents = [Document("Lisbon's trams climb the hills of Alfama."),
                 Document("Lisbon has mild winters and warm, dry summers."),
                 Document("Naples is the home of pizza.")]
    for doc in ToolrouterReranker(router=router, top_n=2).compress_documents(documents, "Lisbon climate"):
        print(f"{doc.metadata['relevance_score']:.3f}  {doc.page_content}")


if __name__ == "__main__":
    main()
