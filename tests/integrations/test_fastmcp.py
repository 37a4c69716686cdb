"""FastMCP: the search transform on a real ``FastMCP`` server, driven by FastMCP's in-memory ``Client``."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import subprocess
import sys

import pytest

pytest.importorskip("fastmcp")

from fastmcp import Client, FastMCP
from fastmcp.server.transforms.search import serialize_tools_for_output_markdown
from fastmcp.server.transforms.search.base import BaseSearchTransform
from fastmcp.tools import Tool

from tests.integrations.conftest import FUNCTIONS
from toolrouter.errors import MissingDependencyError
from toolrouter.integrations.fastmcp import ToolrouterSearchTransform
from toolrouter.router import Router


def travel_server(transform: BaseSearchTransform) -> FastMCP:
    server = FastMCP("travel")
    for function in FUNCTIONS:
        server.tool(function)
    server.add_transform(transform)
    return server


async def session(server: FastMCP, *calls: tuple[str, dict]) -> tuple[list[str], list]:
    """The tool names the client lists, and the results of ``calls`` (name, arguments)."""
    async with Client(server) as client:
        names = [tool.name for tool in await client.list_tools()]
        results = [await client.call_tool(name, arguments, raise_on_error=False) for name, arguments in calls]
    return names, results


def found(result) -> list[str]:
    return [tool["name"] for tool in json.loads(result.content[0].text)]


def test_client_sees_search_and_call_and_finds_tools_by_the_router(overlap_router):
    server = travel_server(ToolrouterSearchTransform(overlap_router, max_results=2, always_visible=["play_music"]))
    names, (search, other, call) = asyncio.run(session(
        server, ("search_tools", {"query": "weather forecast for Lisbon"}),
        ("search_tools", {"query": "order a pizza"}),
        ("call_tool", {"name": "get_weather", "arguments": {"city": "Lisbon"}})))

    assert names == ["play_music", "search_tools", "call_tool"]
    assert found(search)[0] == "get_weather" and len(found(search)) == 2
    assert found(other)[0] == "order_pizza" and "play_music" not in found(other)  # pinned tools are not searched
    first = json.loads(search.content[0].text)[0]
    assert first["inputSchema"]["required"] == ["city"]  # full definitions, in the tools/list format
    assert call.content[0].text == "sunny in Lisbon"


def test_search_tool_describes_itself_and_takes_custom_names_and_serializers(overlap_router):
    server = travel_server(ToolrouterSearchTransform(
        overlap_router, max_results=1, search_tool_name="find", call_tool_name="run",
        search_result_serializer=serialize_tools_for_output_markdown))

    async def main():
        async with Client(server) as client:
            tools = {tool.name: tool for tool in await client.list_tools()}
            result = await client.call_tool("find", {"query": "send an email"})
        return tools, result

    tools, result = asyncio.run(main())
    assert list(tools) == ["find", "run"]
    assert "run one with run" in tools["find"].description
    assert tools["find"].inputSchema["required"] == ["query"]
    assert result.content[0].text.startswith("### send_email")


def test_blank_query_is_an_error_result_naming_the_problem(overlap_router):
    _, (result,) = asyncio.run(session(travel_server(ToolrouterSearchTransform(overlap_router)),
                                       ("search_tools", {"query": "  "})))
    assert result.is_error
    assert "search_tools needs 'query', the task in words" in result.content[0].text


def test_unreadable_tool_is_left_out_of_searches(overlap_router, caplog):
    server = travel_server(ToolrouterSearchTransform(overlap_router, max_results=10))

    def bad_schema(x: int) -> int:
        """A weather tool whose schema toolrouter refuses."""
        return x

    tool = Tool.from_function(bad_schema)
    server.add_tool(tool.model_copy(update={"parameters": {"type": "array"}}))  # parameters.type must be 'object'
    with caplog.at_level(logging.WARNING, logger="toolrouter.integrations.fastmcp"):
        _, (result,) = asyncio.run(session(server, ("search_tools", {"query": "weather"})))
    assert "bad_schema" not in found(result) and len(found(result)) == len(FUNCTIONS)
    assert "tool 'bad_schema' left out of searches" in caplog.text


def test_bad_arguments_are_named(overlap_router):
    with pytest.raises(ValueError, match="max_results must be a positive integer, got 0"):
        ToolrouterSearchTransform(overlap_router, max_results=0)
    assert isinstance(ToolrouterSearchTransform(Router(overlap_router.reranker)), BaseSearchTransform)


def test_missing_framework_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "fastmcp" or m.startswith("fastmcp.")] or ["fastmcp"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import fastmcp` now fails, as if not installed
    monkeypatch.delitem(sys.modules, "toolrouter.integrations.fastmcp", raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'toolrouter\[fastmcp\]'"):
        importlib.import_module("toolrouter.integrations.fastmcp")


def test_import_toolrouter_loads_no_fastmcp():
    code = "import sys, toolrouter, toolrouter.integrations; print('fastmcp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
