"""Huge, deep and cyclic inputs load within the documented limits or are refused by name.

Limits (see DEVELOPERS.md, "Limits"): canonical text ``DEFAULT_MAX_TOKENS``, JSON nesting
``MAX_SPEC_DEPTH``, parameter-schema nesting ``MAX_SCHEMA_DEPTH``, names ``MAX_NAME_LENGTH``.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlalchemy as sa

from toolrouter.errors import SpecError
from toolrouter.registry import Registry, load_tools, reflect_database
from toolrouter.registry.build import MAX_NAME_LENGTH
from toolrouter.registry.canonical import DEFAULT_MAX_TOKENS, count_tokens, render_table
from toolrouter.registry.items import Column, TableItem, ToolItem
from toolrouter.registry.schema import MAX_SCHEMA_DEPTH
from toolrouter.registry.tools import MAX_SPEC_DEPTH


def only_tool(spec) -> ToolItem:
    [item] = load_tools(spec)
    assert isinstance(item, ToolItem)
    assert count_tokens(item.text) <= DEFAULT_MAX_TOKENS
    return item


def nested(levels: int, key: str, leaf: dict) -> dict:
    schema = leaf
    for _ in range(levels):
        schema = {"type": "object", key: {"inner": schema}} if key == "properties" else {"type": "array", key: schema}
    return schema


def test_100k_character_fields_are_trimmed_to_the_budget():
    long = "Reports the weather in great detail. " * 2_800  # ~100k characters
    tool = only_tool({"name": "weather", "description": long, "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": long, "enum": [long, "Paris"]}}}})
    assert tool.text.startswith("tool: weather\ndescription: Reports the weather") and "city (string" in tool.text
    with pytest.raises(SpecError, match=f"longer than {MAX_NAME_LENGTH}"):
        load_tools({"name": "w" * 100_000, "parameters": {}})


def test_huge_enum_and_10k_properties():
    tool = only_tool({"name": "pick", "parameters": {"type": "object", "properties": {
        "value": {"type": "integer", "enum": list(range(100_000))}}}})
    assert "value (integer: 0|1|2|3|4|5|6|7|(+99992))" in tool.text
    wide = only_tool({"name": "wide", "parameters": {"type": "object", "properties": {
        f"p{i}": {"type": "string", "description": f"field {i}"} for i in range(10_000)}}})
    assert "p0 (string)" in wide.text and "more)" in wide.text


def test_10k_tools_in_one_list_and_one_mcp_result():
    specs = [{"name": f"tool_{i}", "description": f"Operation {i} on widgets"} for i in range(10_000)]
    registry = Registry()
    assert len(registry.add_tools(specs)) == 10_000
    assert all(count_tokens(tool.text) <= DEFAULT_MAX_TOKENS for tool in registry.tools)
    listed = [{"name": f"mcp_{i}", "inputSchema": {"type": "object"}} for i in range(10_000)]
    assert len(registry.add_tools({"tools": listed, "nextCursor": "x"})) == 10_000


def test_schema_nesting_limit_names_the_tool():
    leaf = {"type": "string", "description": "the deepest field"}
    only_tool({"name": "ok", "parameters": nested(MAX_SCHEMA_DEPTH - 1, "properties", leaf)})
    with pytest.raises(SpecError, match=f"tool 'deep' at /parameters/properties/inner.*deeper than {MAX_SCHEMA_DEPTH}"):
        load_tools({"name": "deep", "parameters": nested(MAX_SCHEMA_DEPTH + 1, "properties", leaf)})


@pytest.mark.parametrize("key", ["properties", "items"])
def test_1000_levels_of_nesting_are_refused_by_position(key):
    spec = {"name": "deep", "parameters": {"type": "object", "properties": {"a": nested(1_000, key, {})}}}
    with pytest.raises(SpecError, match=rf"tools\[1\] at /parameters/properties/a/.*deeper than {MAX_SPEC_DEPTH}"):
        load_tools([{"name": "fine"}, spec])
    # The same as JSON text: Python's json module gives up first, reported the same way.
    text = '{"name": "deep", "parameters": ' + '{"type": "array", "items": ' * 5_000 + "{}" + "}" * 5_001
    with pytest.raises(SpecError, match=r"^tools: not valid JSON: nests deeper"):
        load_tools(text)


def test_deep_values_outside_schemas_are_refused():
    value: list = []
    for _ in range(10_000):
        value = [value]
    for spec in ({"name": value}, {"name": "f", "parameters": {"properties": {"a": {"enum": value}}}},
                 {"name": "f", "parameters": {"properties": {"a": {"type": value}}}}, {"name": "f", "x": value}):
        with pytest.raises(SpecError, match="deeper than"):
            load_tools(spec)
    with pytest.raises(SpecError, match="deeper than"):
        load_tools(value)


def test_cyclic_refs_load_and_cyclic_objects_are_refused():
    tree = only_tool({"name": "tree", "parameters": {"type": "object", "properties": {
        "node": {"$ref": "#"}, "a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"$ref": "#/$defs/b"},
                                                                       "b": {"$ref": "#/$defs/a"}}}})
    assert tree.text == "tool: tree\nparameters: node; a"
    cyclic: dict = {"name": "loop", "parameters": {"type": "object", "properties": {}}}
    cyclic["parameters"]["properties"]["self"] = cyclic["parameters"]
    with pytest.raises(SpecError, match=r"^tools at /parameters/properties/self/properties/self/.*deeper than"):
        load_tools(cyclic)


def test_10k_column_create_table():
    columns = ", ".join(f"col_{i} VARCHAR(20) COMMENT 'column number {i}'" for i in range(10_000))
    ddl = f"CREATE TABLE wide (id INT PRIMARY KEY, owner_id INT REFERENCES owners(id), {columns})"
    [table] = Registry().add_tables(ddl, dialect="mysql")
    assert len(table.columns) == 10_002 and count_tokens(table.text) <= DEFAULT_MAX_TOKENS
    assert table.text.startswith("CREATE TABLE wide (id INT PRIMARY KEY, owner_id INT")
    assert "FOREIGN KEY (owner_id) REFERENCES owners(id)" in table.text and "more columns)" in table.text


def test_key_columns_beyond_the_budget_are_cut_to_it():
    keys = tuple(f"key_{i}" for i in range(2_000))
    table = TableItem(name="all_keys", columns=tuple(Column(k, "INT", nullable=False) for k in keys), primary_key=keys)
    text = render_table(table)
    assert count_tokens(text) == DEFAULT_MAX_TOKENS and text.endswith("…")


def test_widest_sqlite_table_and_10k_column_metadata(tmp_path):
    path = tmp_path / "wide.db"
    with sqlite3.connect(path) as conn:
        width = conn.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)  # 2000 in stock builds: no wider table exists
        names = ", ".join(f"c{i} TEXT" for i in range(width - 1))
        conn.execute(f"CREATE TABLE wide (id INTEGER PRIMARY KEY, {names})")
    [table] = Registry().add_database(f"sqlite:///{path}")
    assert len(table.columns) == width and count_tokens(table.text) <= DEFAULT_MAX_TOKENS
    metadata = sa.MetaData()
    sa.Table("wider", metadata, sa.Column("id", sa.Integer, primary_key=True),
             *(sa.Column(f"c{i}", sa.String(20), comment="x" * 1_000) for i in range(10_000)))
    [table] = reflect_database(metadata)
    assert len(table.columns) == 10_001 and count_tokens(table.text) <= DEFAULT_MAX_TOKENS


def test_json_and_ddl_with_hostile_characters_render_valid_text():
    [tool] = load_tools(json.dumps({"name": "f", "description": "bad \ud800 surrogate \x00 nul",
                                    "parameters": {"type": "object", "properties": {"\udfff": {"type": "string"}}}}))
    assert "bad ? surrogate" in tool.text
    tool.text.encode("utf-8")
    [table] = Registry().add_tables('CREATE TABLE "t\ud800" ("c\udfff" INT COMMENT \'x\ud800\')')
    assert table.text == "CREATE TABLE \"t?\" (\"c?\" INT COMMENT 'x?')"
