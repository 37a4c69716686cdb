"""Property tests: any tool spec, MCP list or DDL text either loads or raises toolrouter's own error.

Inputs are arbitrary JSON values and text (lone surrogates and control characters included) plus
near-valid specs in every supported format with fuzzed fields. A load either succeeds, and every
item's canonical text is valid Unicode within the token budget, or raises a ``ToolrouterError``
whose message names the item or its position. Nothing else may escape. Runs are derandomized so
CI sees the same inputs every time; the deadline only guards against hangs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from toolrouter.errors import SchemaParseError, SpecError, ToolrouterError
from toolrouter.registry import HostedTool, Item, Registry, load_tools, parse_ddl
from toolrouter.registry.canonical import DEFAULT_MAX_TOKENS, count_tokens


def fuzz(examples: int) -> settings:
    """Deterministic runs of ``examples`` generated inputs; the deadline only catches hangs."""
    return settings(max_examples=examples, derandomize=True, database=None, deadline=timedelta(seconds=10),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Text from every Unicode category, lone surrogates (Cs) and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
hostile_text = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.sampled_from(["", " ", "\x00", "\ud800", "a\udfffb", "\x1b[31m", "\r\n", "東京 الطقس 🌦️", "type", "object",
                     "x" * 300]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=8,
)
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)

# JSON Schemas as tool specs write them: standard, aliased and wrong type names, refs, combinators.
known_types = st.sampled_from(["string", "number", "integer", "boolean", "object", "array", "null", "dict", "str",
                               "int", "float", "bool", "list", "any", "tuple", "String", "datetime", ""])
type_names = st.one_of(known_types, st.lists(st.sampled_from(["string", "null", "int", "any"]), max_size=3),
                       json_scalars)
leaf_schemas = st.fixed_dictionaries({}, optional={
    "type": type_names,
    "description": hostile_text,
    "title": hostile_text,
    "enum": st.lists(json_values, max_size=12),
    "default": json_values,
    "format": st.sampled_from(["date-time", "uri", "email", ""]),
    "$ref": st.sampled_from(["#", "#/$defs/a", "#/definitions/missing", "http://example.com/s.json"]),
})
schemas = st.recursive(leaf_schemas, lambda children: st.fixed_dictionaries(
    {"type": st.sampled_from(["object", "dict", "array", "list"])},
    optional={
        "properties": st.dictionaries(hostile_text, children | json_values, max_size=4),
        "items": children,
        "anyOf": st.lists(children, max_size=3),
        "required": st.lists(hostile_text, max_size=3) | json_values,
        "additionalProperties": st.booleans() | children,
        "$defs": st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2),
    },
), max_leaves=6)

# Parameter schemas shaped like real ones (an object of properties) most of the time.
object_schemas = st.fixed_dictionaries(
    {"type": st.sampled_from(["object", "dict"]), "properties": st.dictionaries(identifiers | hostile_text, schemas,
                                                                                max_size=5)},
    optional={"required": st.lists(identifiers, max_size=2), "additionalProperties": st.booleans()},
)
# Fields are strings and schemas here; ``fuzzed`` swaps in other JSON values and drops keys.
names = st.one_of(st.sampled_from(["get_weather", "search", "calc"]), identifiers, hostile_text)
descriptions = st.one_of(st.text(max_size=80), hostile_text, st.just("Long description. " * 40))
parameters = st.one_of(object_schemas, schemas)


def _spec(build: Callable[..., dict]) -> st.SearchStrategy[dict]:
    return st.builds(build, names, descriptions, parameters)


formats = {
    "openai": _spec(lambda n, d, p: {"type": "function", "function": {"name": n, "description": d, "parameters": p,
                                                                      "strict": True}}),
    "openai_functions": _spec(lambda n, d, p: {"name": n, "description": d, "parameters": p}),
    "openai_responses": _spec(lambda n, d, p: {"type": "function", "name": n, "description": d, "parameters": p}),
    "anthropic": _spec(lambda n, d, p: {"name": n, "description": d, "input_schema": p}),
    "mcp": _spec(lambda n, d, p: {"name": n, "title": d, "description": d, "inputSchema": p,
                                  "annotations": {"readOnlyHint": True, "title": n}}),
    "dict": _spec(lambda n, d, p: {"Name": n, "Specification": d, "params": p, "spec": "https://example.com",
                                   "example": d}),
}


@st.composite
def fuzzed(draw, spec: st.SearchStrategy[dict]) -> dict:
    """A spec with some keys dropped, some values replaced by any JSON and junk keys added."""
    value = dict(draw(spec))
    for key in draw(st.lists(st.sampled_from(sorted(value)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del value[key]
        else:
            value[key] = draw(json_values)
    value.update(draw(st.dictionaries(hostile_text, json_values, max_size=2)))
    return value


tool_specs = st.one_of(*formats.values(), *(fuzzed(s) for s in formats.values()))
tool_lists = st.lists(tool_specs | json_values, max_size=3)
mcp_lists = st.one_of(
    st.fixed_dictionaries({"tools": tool_lists}, optional={"nextCursor": hostile_text, "_meta": json_values}),
    st.builds(lambda tools: {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}, tool_lists),
)


def assert_loads_or_names_the_item(load: Callable[[], Sequence[Item]], where: tuple[str, ...]) -> None:
    """``load()`` succeeds with budgeted, encodable texts, or raises a ToolrouterError naming the item."""
    try:
        items = load()
    except ToolrouterError as exc:
        event(f"refused: {type(exc).__name__}")
        message = str(exc)
        if isinstance(exc, SpecError):
            assert exc.item.startswith(where) and message.startswith(exc.item), message
        else:
            assert isinstance(exc, SchemaParseError) and message.startswith("cannot parse DDL statement"), message
        return
    event(f"loaded: {len(items)} items" if len(items) < 2 else "loaded: 2+ items")
    for item in items:
        if isinstance(item, HostedTool):  # passed through unscored: it has no canonical text
            continue
        text = item.text
        assert count_tokens(text) <= DEFAULT_MAX_TOKENS, text
        text.encode("utf-8")  # valid Unicode: any tokenizer can read it


TOOL_ITEMS = ("tools", "tool '", 'tool "')  # a position, or the tool's name as repr() quotes it


@fuzz(150)
@given(json_values)
def test_any_json_value_loads_or_is_refused(value):
    assert_loads_or_names_the_item(lambda: Registry().add_tools(value), TOOL_ITEMS)


@fuzz(150)
@given(tool_specs)
def test_near_valid_tool_specs(spec):
    assert_loads_or_names_the_item(lambda: Registry().add_tools(spec), TOOL_ITEMS)


@fuzz(100)
@given(st.one_of(tool_lists, mcp_lists))
def test_tool_lists_and_mcp_results(specs):
    assert_loads_or_names_the_item(lambda: Registry().add_tools(specs), TOOL_ITEMS)


@fuzz(100)
@given(st.one_of(hostile_text, st.binary(max_size=40), json_values.map(json.dumps),
                 st.one_of(tool_lists, mcp_lists).map(json.dumps)))
def test_json_text_and_bytes(text):
    assert_loads_or_names_the_item(lambda: load_tools(text), TOOL_ITEMS)


# DDL: dialects with different grammars, plus one sqlglot does not know.
DIALECTS = [None, "mysql", "postgres", "sqlite", "tsql", "snowflake", "bigquery", "duckdb", "oracle", "spark",
            "no_such_dialect"]
DDL_ITEMS = ("ddl", "table '")
sql_names = st.one_of(
    identifiers,
    hostile_text.map(lambda t: '"' + t.replace('"', '""') + '"'),
    st.sampled_from(["select", "table", "`x y`", "[a b]", "s.t", "a.b.c", "\"\"", "1abc"]),
)
column_types = st.sampled_from(["INT", "INTEGER", "VARCHAR(255)", "DECIMAL(10, 2)", "TEXT", "DATE", "BLOB", "",
                                "TIMESTAMP WITH TIME ZONE", "ARRAY<INT>", "STRUCT<a INT>", "JSONB", "ENUM('a','b')",
                                "NUMBER(38,0)", "UUID", "SERIAL", "VARCHAR(", "INT)"])
column_constraints = st.sampled_from(["PRIMARY KEY", "NOT NULL", "NULL", "UNIQUE", "DEFAULT 0", "DEFAULT 'x'",
                                      "AUTO_INCREMENT", "REFERENCES other(id)", "REFERENCES s.other", "COMMENT 'hi'",
                                      "COMMENT ''''", "CHECK (a > 0)", "GENERATED ALWAYS AS IDENTITY", "COLLATE x"])
table_constraints = st.sampled_from(["PRIMARY KEY (a)", "PRIMARY KEY (a, b DESC)", "FOREIGN KEY (a) REFERENCES o(b)",
                                     "CONSTRAINT fk FOREIGN KEY (x) REFERENCES s.o (y) ON DELETE CASCADE",
                                     "UNIQUE (a)", "INDEX idx (a)", "KEY k (a)", "FOREIGN KEY (a)"])
columns = st.builds(lambda n, t, cs: " ".join([n, t, *cs]), sql_names, column_types,
                    st.lists(column_constraints, max_size=3))
creates = st.builds(
    lambda head, name, cols, cons, tail: f"{head} {name} ({', '.join(cols + cons)}){tail}",
    st.sampled_from(["CREATE TABLE", "CREATE TABLE IF NOT EXISTS", "CREATE TEMPORARY TABLE", "create table",
                     "CREATE OR REPLACE TABLE"]),
    sql_names, st.lists(columns, max_size=6), st.lists(table_constraints, max_size=2),
    st.sampled_from(["", " ENGINE=InnoDB", " COMMENT='t'", " COMMENT = 'x''y'", " WITHOUT ROWID", " AS SELECT 1"]),
)
other_statements = st.sampled_from(["COMMENT ON TABLE t IS 'x'", "COMMENT ON COLUMN t.a IS 'y'",
                                    "CREATE INDEX i ON t(a)", "INSERT INTO t VALUES (1)", "SET x = 1", "-- note",
                                    "/* block */", "DROP TABLE t", "CREATE VIEW v AS SELECT 1", "CREATE TAB x"])
statements = st.lists(creates | other_statements, min_size=1, max_size=4).map(";\n".join)


@st.composite
def mutated(draw, text: st.SearchStrategy[str]) -> str:
    """``text`` with a slice cut out or junk spliced in at a drawn position."""
    value = draw(text)
    start = draw(st.integers(0, len(value)))
    end = draw(st.integers(start, min(len(value), start + 10)))
    return value[:start] + draw(hostile_text | st.sampled_from(["(", ")", "'", '"', ",", ";", "`"])) + value[end:]


@fuzz(250)
@given(st.one_of(hostile_text, st.text(max_size=200)), st.sampled_from(DIALECTS))
def test_any_text_as_ddl(ddl, dialect):
    assert_loads_or_names_the_item(lambda: Registry().add_tables(ddl, dialect=dialect), DDL_ITEMS)


@fuzz(250)
@given(st.one_of(statements, mutated(statements)), st.sampled_from(DIALECTS))
def test_near_valid_ddl(ddl, dialect):
    assert_loads_or_names_the_item(lambda: parse_ddl(ddl, dialect=dialect), DDL_ITEMS)
