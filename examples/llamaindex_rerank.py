"""LlamaIndex: rerank retrieved nodes, and give an agent only the tools a request needs.

``ToolrouterReranker`` is a node postprocessor (``node_postprocessors=[...]`` of a query engine);
``ToolrouterToolRetriever`` is an ``ObjectRetriever`` for agents' ``tool_retriever=``. Both run
offline on the bundled model. Run::

    python examples/llamaindex_rerank.py
"""

from __future__ import annotations

import asyncio

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import FunctionTool

from toolrouter import Router
from toolrouter.integrations.llamaindex import ToolrouterReranker, ToolrouterToolRetriever


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


def search_flights(origin: str, destination: str, date: str) -> str:
    """Find flights between two airports on a date."""
    return "TP1351 08:05"


def play_music(song: str) -> str:
    """Play a song on the living-room speaker."""
    return "playing"


def main() -> None:
    router = Router()  # the bundled offline model

    retrieved = [NodeWithScore(node=TextNode(text=text), score=0.5) for text in [
        "Lisbon's trams climb the hills of Alfama.",
        "Lisbon has mild winters and warm, dry summers.",
        "Naples is the home of pizza.",
        "Lisbon's climate is Mediterranean: about 300 sunny days a year."]]
    print("reranked nodes:")
    for node in ToolrouterReranker(router=router, top_n=2).postprocess_nodes(retrieved, QueryBundle("Lisbon climate")):
        print(f"  {node.score:.3f}  {node.node.get_content()}")

    tools = [FunctionTool.from_defaults(fn) for fn in
             (get_weather, convert_currency, book_hotel, send_email, search_flights, play_music)]
    retriever = ToolrouterToolRetriever(tools, router, k=2)
    agent = FunctionAgent(tool_retriever=retriever, llm=MockLLM())  # the agent asks the retriever every turn
    for request in ("How much is 250 dollars in euros?", "Find me a flight from Lisbon to Porto on Friday"):
        picked = asyncio.run(agent.get_tools(request))
        print(f"{request!r} -> tools: {', '.join(tool.metadata.name for tool in picked)}")


if __name__ == "__main__":
    main()
