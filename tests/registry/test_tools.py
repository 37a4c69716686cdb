"""Every supported tool format loads from a real example, and bad specs fail clearly."""

from __future__ import annotations

from typing import Literal

import pytest

from toolrouter.errors import DuplicateNameError, SpecError
from toolrouter.registry import Registry, load_tools
from toolrouter.registry.items import HostedTool, ToolItem

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and country e.g. Bogotá, Colombia"},
        "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
    "additionalProperties": False,
}
EXPECTED_WEATHER_TEXT = (
    "tool: get_weather\n"
    "description: Get current temperature for a given location.\n"
    "parameters: location (string, required): City and country e.g. Bogotá, Colombia; "
    "units (string: celsius|fahrenheit)"
)


def only_tool(spec) -> ToolItem:
    [item] = load_tools(spec)
    assert isinstance(item, ToolItem)
    return item


def test_openai_chat_tool():
    spec = {"type": "function", "function": {"name": "get_weather", "strict": True,
            "description": "Get current temperature for a given location.", "parameters": WEATHER_PARAMETERS}}
    item = only_tool(spec)
    assert item.format == "openai" and item.spec is spec
    assert item.text == EXPECTED_WEATHER_TEXT


def test_legacy_function_and_responses_tool_render_the_same_text():
    legacy = {"name": "get_weather", "description": "Get current temperature for a given location.",
              "parameters": WEATHER_PARAMETERS}
    responses = {"type": "function", "name": "get_weather", "strict": True,
                 "description": "Get current temperature for a given location.", "parameters": WEATHER_PARAMETERS}
    assert only_tool(legacy).format == "openai_functions"
    assert only_tool(responses).format == "openai_responses"
    assert only_tool(legacy).text == only_tool(responses).text == EXPECTED_WEATHER_TEXT


def test_anthropic_tool():
    spec = {"name": "get_weather", "description": "Get current temperature for a given location.",
            "input_schema": WEATHER_PARAMETERS}
    item = only_tool(spec)
    assert item.format == "anthropic" and item.text == EXPECTED_WEATHER_TEXT


def test_mcp_tool_and_tools_list_result():
    tool = {"name": "create_issue", "title": "Create GitHub issue", "description": "Open a new issue in a repository",
            "inputSchema": {"type": "object", "properties": {"repo": {"type": "string"}, "title": {"type": "string"}},
                            "required": ["repo", "title"]},
            "annotations": {"destructiveHint": False, "readOnlyHint": False}}
    item = only_tool(tool)
    assert item.format == "mcp"
    assert "title: Create GitHub issue" in item.text
    listed = load_tools({"jsonrpc": "2.0", "id": 1, "result": {"tools": [tool, {**tool, "name": "list_issues"}],
                                                               "nextCursor": "abc"}})
    assert [t.name for t in listed] == ["create_issue", "list_issues"]
    assert [t.name for t in load_tools({"tools": [tool]})] == ["create_issue"]


def test_python_callable_with_type_hints_and_docstring():
    def book_flight(origin: str, destination: str, cabin: Literal["economy", "business"] = "economy",
                    passengers: int = 1) -> str:
        """Book a flight between two airports.

        Args:
            origin: IATA code of the departure airport.
            destination: IATA code of the arrival airport.
            cabin: Cabin class.
            passengers: Number of travellers.
        """
        return ""

    item = only_tool(book_flight)
    assert item.format == "python" and item.name == "book_flight"
    assert item.description == "Book a flight between two airports."
    props = item.parameters["properties"]
    assert item.parameters["required"] == ["origin", "destination"]
    assert props["cabin"]["enum"] == ["economy", "business"]
    assert props["origin"]["description"] == "IATA code of the departure airport."
    assert "passengers (integer): Number of travellers. default 1" in item.text


def test_bfcl_dict_types_are_normalized():
    spec = {"name": "math.factorial", "description": "Calculate the factorial of a number.",
            "parameters": {"type": "dict", "properties": {"number": {"type": "integer"},
                                                          "opts": {"type": "dict", "properties": {
                                                              "precise": {"type": "boolean"}}},
                                                          "ratio": {"type": "float"}}, "required": ["number"]}}
    item = only_tool(spec)
    assert item.parameters["type"] == "object"
    assert item.parameters["properties"]["opts"]["type"] == "object"
    assert item.parameters["properties"]["ratio"]["type"] == "number"
    assert "opts.precise (boolean)" in item.text


def test_jina_loose_dict(announcement_tools):
    items = load_tools(announcement_tools)
    assert [i.name for i in items] == ["getWeather", "calculateDistance", "calculateCarbonFootprint"]
    assert items[2].description.startswith("Estimates the carbon footprint")
    assert "spec: https://www.carboninterface.com/api/v1/estimates" in items[2].text
    assert "example:" in items[2].text


def test_hosted_tools_pass_through_and_are_not_functions():
    registry = Registry()
    added = registry.add_tools([{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]},
                                {"type": "mcp", "server_label": "deepwiki", "server_url": "https://x"},
                                {"type": "custom", "name": "grammar_tool", "format": {"type": "text"}},
                                {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])
    assert [t.name for t in added] == ["f"]
    assert [h.type for h in registry.hosted] == ["web_search", "file_search", "mcp", "custom"]
    assert all(isinstance(h, HostedTool) for h in registry.hosted)


def test_bad_parameter_schema_names_tool_and_pointer():
    spec = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "strnig"}}}}}
    with pytest.raises(SpecError) as err:
        load_tools(spec)
    assert err.value.item == "tool 'get_weather'"
    assert err.value.pointer == "/function/parameters/properties/city/type"
    assert "get_weather" in str(err.value)


def test_parameters_must_be_an_object_schema():
    with pytest.raises(SpecError, match=r"tool 'f' at /parameters/type: parameters.type must be 'object'"):
        load_tools({"name": "f", "parameters": {"type": "array"}})


@pytest.mark.parametrize("spec, message", [
    ({"type": "function", "function": {"description": "no name"}}, "tools at : missing or empty 'name'"),
    (42, "a tool spec must be an object or a callable"),
    ({"foo": 1}, "unrecognized tool spec"),
])
def test_malformed_specs(spec, message):
    with pytest.raises(SpecError, match=message.split(": ")[-1]):
        load_tools(spec)


def test_positions_are_named_in_errors():
    with pytest.raises(SpecError, match=r"tools\[1\]"):
        load_tools([{"name": "ok", "parameters": {}}, {"name": "", "parameters": {}}])


def test_duplicate_names_error_and_namespace_option():
    registry = Registry()
    spec = {"name": "search", "description": "Search", "parameters": {"type": "object"}}
    registry.add_tools([spec])
    with pytest.raises(DuplicateNameError, match=r"'search'.*namespace"):
        registry.add_tools([spec])
    added = registry.add_tools([spec], namespace="github")
    assert added[0].name == "github__search"
    registry.add_tools([{**spec, "description": "Search v2"}], replace=True)
    assert registry["search"].description == "Search v2"
    with pytest.raises(DuplicateNameError):
        Registry().add_tools([spec, spec])
