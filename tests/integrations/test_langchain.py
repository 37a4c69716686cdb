"""LangChain: the middleware inside a real ``create_agent`` agent, and the compressor on real Documents."""

from __future__ import annotations

import asyncio
import math

import pytest

pytest.importorskip("langchain")

from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import StructuredTool
from pydantic import Field, ValidationError

from tests.integrations.conftest import FUNCTIONS
from toolrouter.integrations.langchain import ToolrouterReranker, ToolrouterToolSelector
from toolrouter.router import QueryError

PROVIDER_TOOL = {"type": "web_search"}


class RecordingChatModel(GenericFakeChatModel):
    """LangChain's scripted fake model, plus ``bind_tools``: records the tool names of every model call."""

    bound: list[list[str]] = Field(default_factory=list)

    def bind_tools(self, tools, **kwargs):
        self.bound.append([tool["type"] if isinstance(tool, dict) else tool.name for tool in tools])
        return self


def scripted_model() -> RecordingChatModel:
    call = {"name": "get_weather", "args": {"city": "Lisbon"}, "id": "call_1", "type": "tool_call"}
    return RecordingChatModel(messages=iter([AIMessage(content="", tool_calls=[call]), AIMessage(content="Sunny.")]))


def weather_agent(model, middleware):
    tools = [StructuredTool.from_function(function) for function in FUNCTIONS]
    return create_agent(model, tools=[*tools, PROVIDER_TOOL], middleware=[middleware])


def test_agent_model_sees_routed_tools_called_tools_always_and_provider_tools(overlap_router):
    model = scripted_model()
    agent = weather_agent(model, ToolrouterToolSelector(overlap_router, k=2, always_include=["play_music"]))
    result = agent.invoke({"messages": [HumanMessage("What is the weather forecast in Lisbon?")]})

    assert result["messages"][-1].content == "Sunny."
    first, second = model.bound
    assert len(first) == 4 and {"get_weather", "play_music", "web_search"} <= set(first)
    # After the call, get_weather is kept as called, on top of k=2 ranked tools.
    assert len(second) == 5 and {"get_weather", "play_music", "web_search"} <= set(second)
    order = [function.__name__ for function in FUNCTIONS]
    assert [name for name in first if name in order] == sorted(set(first) - {"web_search"}, key=order.index)


def test_async_agent_routes_too(overlap_router):
    model = scripted_model()
    agent = weather_agent(model, ToolrouterToolSelector(overlap_router, k=1))
    asyncio.run(agent.ainvoke({"messages": [HumanMessage("What is the weather forecast in Lisbon?")]}))
    assert model.bound[0] == ["get_weather", "web_search"]


def test_few_tools_pass_unchanged(overlap_router):
    model = scripted_model()
    agent = weather_agent(model, ToolrouterToolSelector(overlap_router, k=len(FUNCTIONS)))
    agent.invoke({"messages": [HumanMessage("What is the weather forecast in Lisbon?")]})
    assert len(model.bound[0]) == len(FUNCTIONS) + 1


@pytest.mark.parametrize("choice", ["book_hotel", {"type": "function", "function": {"name": "book_hotel"}}])
def test_tool_forced_by_tool_choice_is_kept(overlap_router, choice):
    tools = [StructuredTool.from_function(function) for function in FUNCTIONS]
    request = ModelRequest(model=scripted_model(), messages=[HumanMessage("What is the weather forecast in Lisbon?")],
                           tools=tools, tool_choice=choice)
    routed = ToolrouterToolSelector(overlap_router, k=1).select(request)
    assert [tool.name for tool in routed.tools] == ["get_weather", "book_hotel"]
    assert routed.tool_choice == choice and request.tools == tools  # the original request is untouched


def test_bad_arguments_are_named(overlap_router):
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        ToolrouterToolSelector(overlap_router, k=0)
    agent = weather_agent(scripted_model(), ToolrouterToolSelector(overlap_router, always_include=["nope"]))
    with pytest.raises(ValueError, match=r"always_include names tools the request does not have: \['nope'\]"):
        agent.invoke({"messages": [HumanMessage("weather in Lisbon")]})


DOCUMENTS = [
    Document("Lisbon is the capital of Portugal.", id="a", metadata={"source": "geo"}),
    Document("The weather in Lisbon is sunny in summer.", id="b", metadata={"source": "climate"}),
    Document("Pizza is a dish from Naples.", id="c"),
]


def test_compressor_reranks_keeps_top_n_and_scores_copies(overlap_router):
    reranker = ToolrouterReranker(router=overlap_router, top_n=2)
    kept = reranker.compress_documents(DOCUMENTS, "weather in Lisbon")
    assert [doc.id for doc in kept] == ["b", "a"]
    assert kept[0].metadata == {"source": "climate", "relevance_score": pytest.approx(1.0)}
    assert math.isclose(kept[1].metadata["relevance_score"], 1 / 3, rel_tol=1e-6)
    assert "relevance_score" not in DOCUMENTS[1].metadata  # inputs untouched
    assert asyncio.run(reranker.acompress_documents(DOCUMENTS, "pizza"))[0].id == "c"
    assert reranker.compress_documents([], "pizza") == []


def test_compressor_refuses_bad_arguments(overlap_router):
    with pytest.raises(ValidationError, match="top_n"):
        ToolrouterReranker(router=overlap_router, top_n=0)
    with pytest.raises(QueryError):
        ToolrouterReranker(router=overlap_router).compress_documents(DOCUMENTS, "  ")
