"""OpenAI Agents SDK: the tool filter on a real MCP server (stdio) in a ``Runner`` run, and the client tool
search answered through the SDK's own Responses model against a loopback OpenAI API.

Models are the SDK's ``ScriptedModel`` (``agents.testing``) or ``OpenAIResponsesModel`` on an
``httpx.MockTransport``; tracing is off, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("agents")

import httpx
from agents import Agent, ModelSettings, RunConfig, Runner, ToolSearchTool, function_tool
from agents.items import ToolSearchCallItem
from agents.mcp import MCPServerStdio, ToolFilterContext
from agents.models.interface import ModelTracing
from agents.models.openai_responses import OpenAIResponsesModel
from agents.run_context import RunContextWrapper
from agents.testing import ScriptedModel, assistant_message, function_call
from mcp.types import ListToolsResult
from mcp.types import Tool as MCPTool
from openai import AsyncOpenAI
from openai.types.responses import ResponseToolSearchCall, ResponseToolSearchOutputItem

from tests.integrations.conftest import FUNCTIONS
from toolrouter.errors import MissingDependencyError
from toolrouter.integrations import openai_agents
from toolrouter.integrations.openai_agents import (
    SEARCH_TOOL_PARAMETERS,
    ToolrouterToolFilter,
    answer_tool_search,
    list_all_tools,
    search_tool,
)
from toolrouter.router import QueryError, Router

SERVER = Path(__file__).resolve().parent / "travel_server.py"
WEATHER = "What is the weather forecast in Lisbon?"
NO_TRACING = RunConfig(tracing_disabled=True)


def travel_server(tool_filter, name: str = "travel") -> MCPServerStdio:
    return MCPServerStdio(params={"command": sys.executable, "args": [str(SERVER)]}, tool_filter=tool_filter,
                          name=name, client_session_timeout_seconds=60)


async def run(agent: Agent, prompt) -> str:
    result = await Runner.run(agent, prompt, run_config=NO_TRACING)
    return result.final_output


def test_filter_lets_each_turn_see_the_servers_best_tools(overlap_router, monkeypatch):
    reads = []

    async def counted(server):
        reads.append(server.name)
        return await list_all_tools(server)

    monkeypatch.setattr(openai_agents, "list_all_tools", counted)
    tool_filter = ToolrouterToolFilter(overlap_router, k=2, always_include=["play_music"])
    model = ScriptedModel([[function_call("get_weather", {"city": "Lisbon"}, call_id="call_1")],
                           [assistant_message("Sunny.")]])

    async def main() -> str:
        async with travel_server(tool_filter) as server:
            return await run(Agent(name="assistant", model=model, mcp_servers=[server]), WEATHER)

    assert asyncio.run(main()) == "Sunny."
    first, second = ([tool.name for tool in call.tools] for call in model.calls)
    assert first == second  # the run's request routes alike on every turn
    assert "get_weather" in first and "play_music" in first and len(first) == 3
    order = [f.__name__ for f in FUNCTIONS]
    assert first == sorted(first, key=order.index)  # the server's order
    assert reads == ["travel"]  # the server's list is read once while it does not change
    assert tool_filter._listings == {}  # per-listing results go with their listing


def test_filter_routes_on_the_latest_user_message_and_keeps_called_tools(overlap_router):
    history = [{"role": "user", "content": WEATHER},
               {"type": "function_call", "call_id": "c0", "name": "get_weather", "arguments": "{}"},
               {"type": "function_call_output", "call_id": "c0", "output": "sunny"},
               {"role": "assistant", "content": "Sunny."},
               {"role": "user", "content": "Now book a hotel room in Lisbon for two nights"}]
    model = ScriptedModel([[assistant_message("Booked.")]])

    async def main() -> None:
        async with travel_server(ToolrouterToolFilter(overlap_router, k=1)) as server:
            await run(Agent(name="assistant", model=model, mcp_servers=[server]), history)

    asyncio.run(main())
    assert [tool.name for tool in model.calls[0].tools] == ["get_weather", "book_hotel"]


class FakeSession:
    """An MCP client session whose ``tools/list`` answers with ``tools``, in pages of three."""

    def __init__(self, tools: list[MCPTool]) -> None:
        self.tools = tools
        self.reads = 0

    async def list_tools(self, params=None):
        start = int(params.cursor) if params is not None else 0
        self.reads += start == 0
        end = start + 3
        return ListToolsResult(tools=self.tools[start:end], next_cursor=str(end) if end < len(self.tools) else None)


class FakeServer:
    """What the filter uses of an SDK ``MCPServer``: its name, session and tool filter."""

    def __init__(self, session: FakeSession, tool_filter: ToolrouterToolFilter) -> None:
        self.name = "travel"
        self.session = session
        self.tool_filter = tool_filter


def test_filter_reads_the_list_again_when_a_tool_appears(overlap_router):
    tools = [MCPTool(name=f.__name__, description=f.__doc__, input_schema={"type": "object"}) for f in FUNCTIONS]
    tool_filter = ToolrouterToolFilter(overlap_router, k=1)
    session = FakeSession(tools[1:])  # get_weather is not there yet
    server = FakeServer(session, tool_filter)
    run_context = RunContextWrapper(context=None, turn_input=[{"role": "user", "content": WEATHER}])

    async def listing(shown: list[MCPTool]) -> list[str]:
        context = ToolFilterContext(run_context=run_context, agent=SimpleNamespace(mcp_servers=[server]),
                                    server_name="travel")
        return [tool.name for tool in shown if await tool_filter(context, tool)]

    assert len(asyncio.run(listing(tools[1:]))) == 1 and session.reads == 1
    session.tools = tools
    assert asyncio.run(listing(tools)) == ["get_weather"] and session.reads == 2  # all pages read again
    assert asyncio.run(listing(tools)) == ["get_weather"] and session.reads == 2


class BrokenReranker:
    name = "broken"

    def score(self, query, texts):
        raise RuntimeError("model not loaded")


def test_filter_fails_open_and_small_servers_keep_every_tool(overlap_router, caplog):
    model = ScriptedModel([[assistant_message("Hi.")], [assistant_message("Hi.")]])

    async def main() -> None:
        broken = travel_server(ToolrouterToolFilter(Router(BrokenReranker()), k=2), name="broken")
        roomy = travel_server(ToolrouterToolFilter(overlap_router, k=len(FUNCTIONS)), name="roomy")
        async with broken, roomy:
            await run(Agent(name="a", model=model, mcp_servers=[broken]), WEATHER)
            await run(Agent(name="b", model=model, mcp_servers=[roomy]), WEATHER)

    with caplog.at_level(logging.WARNING, logger="toolrouter.integrations.openai_agents"):
        asyncio.run(main())
    assert [len(call.tools) for call in model.calls] == [len(FUNCTIONS), len(FUNCTIONS)]
    assert "routing 'broken''s tools failed, letting all through: RuntimeError: model not loaded" in caplog.text


DEFERRED = [function_tool(f, defer_loading=True) for f in FUNCTIONS]


def loopback_model(outputs: list[list[dict]], requests: list[dict]) -> OpenAIResponsesModel:
    """The SDK's Responses model on a fake OpenAI API: records each request body, answers with ``outputs``."""

    def respond(request: httpx.Request) -> httpx.Response:
        requests.append(json.loads(request.content))
        return httpx.Response(200, json={
            "id": f"resp_{len(requests)}", "object": "response", "created_at": 0, "model": "gpt-5.4",
            "status": "completed", "output": outputs[len(requests) - 1], "parallel_tool_calls": True,
            "tool_choice": "auto", "tools": []})

    client = AsyncOpenAI(api_key="test", base_url="http://loopback/v1", max_retries=0,
                         http_client=httpx.AsyncClient(transport=httpx.MockTransport(respond)))
    return OpenAIResponsesModel("gpt-5.4", client)


async def get_response(model: OpenAIResponsesModel, prompt) -> list:
    response = await model.get_response(
        system_instructions=None, input=prompt, model_settings=ModelSettings(), tools=[*DEFERRED, search_tool()],
        output_schema=None, handoffs=[], tracing=ModelTracing.DISABLED, previous_response_id=None)
    return response.output


def test_client_tool_search_round_trip_through_the_sdk_model(overlap_router):
    search_call = {"type": "tool_search_call", "id": "ts_1", "call_id": "call_1", "execution": "client",
                   "status": "completed", "arguments": {"query": "weather forecast"}}
    answer = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
              "content": [{"type": "output_text", "text": "Sunny.", "annotations": []}]}
    requests: list[dict] = []
    model = loopback_model([[search_call], [answer]], requests)

    async def main() -> dict:
        call = (await get_response(model, WEATHER))[0]
        assert isinstance(call, ResponseToolSearchCall)
        output = answer_tool_search(call, DEFERRED, overlap_router, k=2)
        await get_response(model, [{"role": "user", "content": WEATHER}, call.model_dump(exclude_unset=True), output])
        return output

    output = asyncio.run(main())
    sent_tools = requests[0]["tools"]
    assert sent_tools[-1] == {"type": "tool_search", "execution": "client", "description": search_tool().description,
                              "parameters": SEARCH_TOOL_PARAMETERS}
    assert [tool["name"] for tool in output["tools"]] == ["get_weather", "convert_currency"]
    # The loaded definitions are the ones the request deferred, and the output pairs with its call.
    assert output["tools"][0] == next(tool for tool in sent_tools if tool.get("name") == "get_weather")
    assert output["tools"][0]["defer_loading"] is True
    assert {key: output[key] for key in ("type", "execution", "status", "call_id")} == {
        "type": "tool_search_output", "execution": "client", "status": "completed", "call_id": "call_1"}
    assert requests[1]["input"][-1] == output
    ResponseToolSearchOutputItem.model_validate({**output, "id": "tso_1"})  # the API's own output shape


def test_answer_reads_every_call_shape_and_returns_given_dicts(overlap_router):
    specs = [{"type": "function", "name": f.__name__, "description": f.__doc__, "defer_loading": True,
              "parameters": {"type": "object", "properties": {}}} for f in FUNCTIONS]
    call = ResponseToolSearchCall(id="ts_1", call_id="call_9", execution="client", status="completed",
                                  arguments={"queries": ["send an email", "calendar event"]}, type="tool_search_call")
    for shape in (call, call.model_dump(), ToolSearchCallItem(raw_item=call, agent=Agent(name="a"))):
        output = answer_tool_search(shape, [*specs, {"type": "web_search"}], overlap_router, k=2)
        assert output["call_id"] == "call_9"
        assert output["tools"] == [specs[3], specs[4]]  # send_email, create_calendar_event
    assert isinstance(search_tool(), ToolSearchTool) and search_tool().execution == "client"


def test_answer_refuses_bad_calls(overlap_router):
    blank = {"type": "tool_search_call", "call_id": "c", "execution": "client", "arguments": {"query": "  "}}
    with pytest.raises(QueryError, match="no query text"):
        answer_tool_search(blank, DEFERRED, overlap_router)
    with pytest.raises(ValueError, match="call must be a tool_search_call item, got dict 'function_call'"):
        answer_tool_search({"type": "function_call"}, DEFERRED, overlap_router)
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        answer_tool_search(blank, DEFERRED, overlap_router, k=0)
    with pytest.raises(ValueError, match="k must be a positive integer, got -1"):
        ToolrouterToolFilter(overlap_router, k=-1)
    with pytest.raises(ValueError, match="always_include must be a sequence of tool names"):
        ToolrouterToolFilter(overlap_router, always_include="play_music")


def test_missing_framework_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "agents" or m.startswith("agents.")] or ["agents"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import agents` now fails, as if not installed
    monkeypatch.delitem(sys.modules, "toolrouter.integrations.openai_agents", raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'toolrouter\[openai-agents\]'"):
        importlib.import_module("toolrouter.integrations.openai_agents")


def test_import_toolrouter_loads_no_openai_agents():
    code = "import sys, toolrouter, toolrouter.integrations; print('agents' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
