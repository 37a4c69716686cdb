"""The real-catalog benchmark's committed data: tools, services and requests fit together."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import catalog
import catalog_mcp


@pytest.fixture(scope="module")
def tools_and_services():
    return catalog.load_catalog()


def test_every_tool_has_a_unique_name_and_a_described_service(tools_and_services):
    tools, services = tools_and_services
    names = [tool["name"] for tool in tools]
    assert len(names) == len(set(names)) > 8000
    assert {tool["service"] for tool in tools} == set(services)
    # An OpenAPI spec always describes its API; an MCP server may say nothing about itself.
    assert all(service["description"].strip() for service in json.loads((catalog.DATA / "services.json").read_text()))


def test_mcp_tools_are_named_as_the_gateway_names_them(tools_and_services):
    tools, _ = tools_and_services
    listed = json.loads((catalog.DATA / "mcp_servers.json").read_text())
    assert [server["name"] for server in listed] == [server.name for server in catalog_mcp.SERVERS]
    by_service = Counter(tool["service"] for tool in tools)
    for server in listed:
        assert by_service[server["name"]] == server["tools"] > 0
        assert server["license"] and server["version"]
    mcp_tools = [tool for tool in tools if tool["service"] in {server["name"] for server in listed}]
    assert all(tool["name"].startswith(tool["service"] + "__") for tool in mcp_tools)
    assert all(tool["parameters"].get("type") == "object" for tool in mcp_tools)


def test_catalog_tool_keeps_the_mcp_schema_and_description():
    server = catalog_mcp.SERVERS[0]
    tool = {"name": "read_text_file", "description": "Read a file.",
            "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}
    assert catalog_mcp.catalog_tool(server, tool) == {
        "name": f"{server.name}__read_text_file", "description": "Read a file.",
        "parameters": tool["inputSchema"], "service": server.name}


def test_requests_have_gold_tools_of_the_catalog_in_two_splits_and_many_languages(tools_and_services):
    tools, _ = tools_and_services
    names = {tool["name"] for tool in tools}
    requests = catalog.load_requests()
    assert len(requests) >= 200 and len({r["id"] for r in requests}) == len(requests)
    assert {r["split"] for r in requests} == {"dev", "heldout"}
    assert len({r["lang"] for r in requests}) >= 6
    for request in requests:
        assert request["query"].strip() and request["gold"], request["id"]
        assert set(request["gold"]) <= names, request["id"]
        assert len(set(request["gold"])) == len(request["gold"]), request["id"]


def test_metrics_count_a_hit_when_any_gold_tool_is_in_the_top_k():
    requests = [{"gold": ["a", "b"], "split": "dev", "lang": "en"},
                {"gold": ["c"], "split": "heldout", "lang": "de"}]
    result = catalog.metrics([["x", "b", "a"], ["x", "y", "z", "w", "v", "c"]], requests)
    assert result["all"]["hit@1"] == 0.0 and result["all"]["hit@5"] == 0.5 and result["all"]["hit@10"] == 1.0
    assert result["dev"]["mrr"] == 0.5 and result["heldout_non_english"]["mrr"] == round(1 / 6, 4)
