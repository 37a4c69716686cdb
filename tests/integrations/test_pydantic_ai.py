"""Pydantic AI: the search strategy inside a real ``ToolSearch`` agent, the selector inside ``PrepareTools``.

The model is Pydantic AI's ``FunctionModel``: scripted replies, and a record of the tools each step offers.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import subprocess
import sys

import pytest

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent, Tool
from pydantic_ai.capabilities import PrepareTools, ToolSearch
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolSearchReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.integrations.conftest import FUNCTIONS
from toolrouter.errors import MissingDependencyError
from toolrouter.integrations.pydantic_ai import ToolrouterSearch, ToolrouterToolSelector, tool_search
from toolrouter.router import QueryError, Router

WEATHER = "What is the weather forecast in Lisbon?"


class Script:
    """A ``FunctionModel`` function: returns the scripted parts step by step, records each step's tool names."""

    def __init__(self, *steps: list) -> None:
        self.steps = list(steps)
        self.tools: list[list[str]] = []
        self.messages: list[list[ModelMessage]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.tools.append([tool.name for tool in info.function_tools])
        self.messages.append(list(messages))
        return ModelResponse(parts=self.steps.pop(0))


def search_results(messages: list[ModelMessage]) -> list[str]:
    return [match["name"] for message in messages for part in getattr(message, "parts", [])
            if isinstance(part, ToolSearchReturnPart) for match in part.content["discovered_tools"]]


def test_agent_finds_deferred_tools_with_the_router_and_calls_one(overlap_router):
    script = Script([ToolCallPart("search_tools", {"queries": ["weather forecast", "convert currency"]})],
                    [ToolCallPart("get_weather", {"city": "Lisbon"})],
                    [TextPart("Sunny.")])
    capability = tool_search(overlap_router, tools="all", k=3)
    assert isinstance(capability, ToolSearch) and capability.max_results == 3
    agent = Agent(FunctionModel(script), tools=FUNCTIONS, capabilities=[capability])
    result = agent.run_sync(WEATHER)

    assert result.output == "Sunny."
    assert script.tools[0] == ["search_tools"]  # every tool deferred until found
    # Each query's best tool comes first (interleaved), then the next best: k=3 in all.
    assert search_results(script.messages[1]) == ["get_weather", "convert_currency", "book_hotel"]
    assert set(script.tools[1]) == {"search_tools", "get_weather", "convert_currency", "book_hotel"}


def test_defer_loading_tools_and_visible_ones_mix(overlap_router):
    tools = [Tool(f, defer_loading=f.__name__ != "play_music") for f in FUNCTIONS]
    script = Script([ToolCallPart("search_tools", {"queries": ["book a hotel room"]})], [TextPart("Done.")])
    agent = Agent(FunctionModel(script), tools=tools, capabilities=[tool_search(overlap_router, k=1)])
    agent.run_sync("Book me a hotel in Porto")
    assert script.tools[0] == ["play_music", "search_tools"]
    assert search_results(script.messages[1]) == ["book_hotel"]


def test_search_ranks_tools_found_before_last_and_skips_blank_queries(overlap_router):
    defs = [Tool(f).tool_def for f in FUNCTIONS]
    search = ToolrouterSearch(overlap_router, k=2)
    assert search.search(["weather forecast"], defs)[0] == "get_weather"
    assert search.search(["weather forecast", "  "], defs, discovered={"get_weather"})[-1] == "get_weather"
    with pytest.raises(QueryError, match="no search query has text"):
        search.search(["", " \n"], defs)


def test_selector_keeps_routed_called_and_always_tools_and_leaves_deferred_ones(overlap_router):
    tools = [Tool(f, defer_loading=f.__name__ == "order_pizza") for f in FUNCTIONS]
    script = Script([ToolCallPart("get_weather", {"city": "Lisbon"})], [TextPart("Sunny.")])
    selector = ToolrouterToolSelector(overlap_router, k=2, always_include=["play_music"])
    capabilities = [PrepareTools(selector), ToolSearch(strategy="keywords")]
    agent = Agent(FunctionModel(script), tools=tools, capabilities=capabilities)
    assert agent.run_sync(WEATHER).output == "Sunny."

    first, second = script.tools
    assert "get_weather" in first and "play_music" in first and "search_tools" in first
    assert len(first) == 4  # 2 ranked + always_include + the search for the deferred order_pizza
    assert "get_weather" in second and "play_music" in second and len(second) == 5  # + get_weather, called
    order = [f.__name__ for f in FUNCTIONS]
    routed = [name for name in first if name in order]
    assert routed == sorted(routed, key=order.index)  # the agent's order


def test_selector_routes_async_runs_and_keeps_few_tools(overlap_router):
    script = Script([TextPart("Hi.")])
    agent = Agent(FunctionModel(script), tools=FUNCTIONS,
                  capabilities=[PrepareTools(ToolrouterToolSelector(overlap_router, k=1))])
    asyncio.run(agent.run(WEATHER))
    assert script.tools == [["get_weather"]]

    script = Script([TextPart("Hi.")])
    agent = Agent(FunctionModel(script), tools=FUNCTIONS[:3],
                  capabilities=[PrepareTools(ToolrouterToolSelector(overlap_router, k=3))])
    agent.run_sync(WEATHER)
    assert script.tools == [[f.__name__ for f in FUNCTIONS[:3]]]


class BrokenReranker:
    name = "broken"

    def score(self, query, texts):
        raise RuntimeError("model not loaded")


def test_selector_fails_open_with_a_warning(caplog):
    script = Script([TextPart("Hi.")])
    agent = Agent(FunctionModel(script), tools=FUNCTIONS,
                  capabilities=[PrepareTools(ToolrouterToolSelector(Router(BrokenReranker()), k=2))])
    with caplog.at_level(logging.WARNING, logger="toolrouter.integrations.pydantic_ai"):
        agent.run_sync(WEATHER)
    assert len(script.tools[0]) == len(FUNCTIONS)
    assert "routing failed, the model sees all 10 tools: RuntimeError: model not loaded" in caplog.text


def test_bad_arguments_are_named(overlap_router):
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        ToolrouterSearch(overlap_router, k=0)
    with pytest.raises(ValueError, match="k must be a positive integer, got True"):
        tool_search(overlap_router, k=True)
    with pytest.raises(ValueError, match="always_include must be a sequence of tool names"):
        ToolrouterToolSelector(overlap_router, always_include="play_music")


def test_missing_framework_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "pydantic_ai" or m.startswith("pydantic_ai.")] or ["pydantic_ai"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import pydantic_ai` now fails, as if not installed
    monkeypatch.delitem(sys.modules, "toolrouter.integrations.pydantic_ai", raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'toolrouter\[pydantic-ai\]'"):
        importlib.import_module("toolrouter.integrations.pydantic_ai")


def test_import_toolrouter_loads_no_pydantic_ai():
    code = "import sys, toolrouter, toolrouter.integrations; print('pydantic_ai' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
