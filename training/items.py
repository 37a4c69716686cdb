"""Turn the raw dataset formats under ``shared/data`` into registry items.

Training must see exactly the text serving sees, so every tool and table is built as a
:class:`~toolrouter.registry.items.ToolItem` / :class:`~toolrouter.registry.items.TableItem` and
rendered by the registry's canonical renderer (``item.text``); nothing here formats text itself.
The datasets' schema oddities (``"str"`` types, ``choices``, Spider's abstract column types,
index-based keys) are normalized to what a real spec or DDL statement would give.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlglot import exp
from sqlglot.errors import ParseError

from toolrouter.registry.items import Column, ForeignKey, TableItem, ToolItem

# Python-ish and OpenAPI-ish type names found in the datasets -> JSON Schema types.
_JSON_TYPES = {
    "str": "string",
    "string": "string",
    "text": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "double": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "dict": "object",
    "object": "object",
    "list": "array",
    "array": "array",
    "tuple": "array",
}
_CONTAINER_TYPE = re.compile(r"(?i)(list|array|tuple)\s*[\[(]\s*(.+?)\s*[\])]")
# Spider's abstract column types -> a SQL type (empty: unknown, rendered without a type).
_SPIDER_TYPES = {"number": "NUMERIC", "time": "DATETIME", "others": ""}
# SQLite's internal bookkeeping table: never a table a user would route to.
INTERNAL_TABLES = frozenset({"sqlite_sequence"})


def json_schema_type(raw: str) -> dict[str, Any]:
    """The JSON Schema for a dataset type name (``"str"``, ``"list(str)"``, ``"Array[string]"``)."""
    text = raw.strip()
    container = _CONTAINER_TYPE.fullmatch(text)
    if container:
        return {"type": "array", "items": json_schema_type(container.group(2))}
    kind = _JSON_TYPES.get(text.lower())
    return {"type": kind} if kind else {}


def normalize_property(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One parameter's schema as valid JSON Schema (types mapped, ``choices`` -> ``enum``, ...)."""
    schema: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "type" and isinstance(value, str):
            schema.update(json_schema_type(value))
        elif key == "choices" and isinstance(value, list):
            schema["enum"] = value
        elif key in ("example", "examples", "example_values"):
            schema.setdefault("examples", []).extend(value if isinstance(value, list) else [value])
        elif key == "properties" and isinstance(value, dict):
            schema["properties"] = {
                name: normalize_property(sub) for name, sub in value.items() if isinstance(sub, dict)
            }
        elif key == "items" and isinstance(value, dict):
            schema["items"] = normalize_property(value)
        elif key not in ("description", "unit"):
            schema[key] = value
    description = str(raw.get("description") or "")
    if raw.get("unit"):
        description = f"{description} (unit: {raw['unit']})".strip()
    if description:
        schema["description"] = description
    return schema


def normalize_parameters(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """A tool's parameters as a JSON Schema object; ``required`` keeps only declared properties."""
    raw = raw or {}
    properties = {
        name: normalize_property(sub if isinstance(sub, dict) else {})
        for name, sub in (raw.get("properties") or {}).items()
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [name for name in raw.get("required") or [] if name in properties]
    if required:
        schema["required"] = required
    return schema


def seal_tool(row: Mapping[str, Any]) -> ToolItem:
    """A Seal-Tools tool. Its ``field`` is dataset metadata no real spec carries, so it is left out."""
    return ToolItem(
        name=row["name"],
        description=row.get("description") or "",
        parameters=normalize_parameters(row.get("parameters")),
        format="dict",
    )


def api_bank_tool(row: Mapping[str, Any]) -> ToolItem:
    """An API-Bank tool; its output parameters become a ``returns`` line."""
    outputs = row.get("output_parameters") or {}
    returns = "; ".join(
        f"{name}: {(spec or {}).get('description', '')}".rstrip(": ") for name, spec in outputs.items()
    )
    return ToolItem(
        name=row["name"],
        description=row.get("description") or "",
        parameters=normalize_parameters(row.get("parameters")),
        format="dict",
        extra={"returns": returns} if returns else {},
    )


def apibench_tool(row: Mapping[str, Any]) -> ToolItem:
    """An APIBench model API: named by its call, with domain and functionality as extra lines.

    APIBench has no JSON schema; ``api_arguments`` (a list, a dict of example values, or a
    Python-literal string) becomes untyped properties, dict values shown as examples.
    """
    functionality = row.get("functionality") or ""
    if isinstance(functionality, list):
        functionality = ", ".join(str(f) for f in functionality)
    extra = {"domain": str(row.get("domain") or ""), "functionality": str(functionality)}
    return ToolItem(
        name=row["api_call"],
        description=row.get("description") or "",
        parameters=_apibench_parameters(row.get("api_arguments")),
        format="dict",
        extra={key: value for key, value in extra.items() if value},
    )


def _apibench_parameters(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        try:
            arguments = ast.literal_eval(arguments)
        except (ValueError, SyntaxError):
            return {"type": "object", "properties": {}}
    properties: dict[str, Any] = {}
    if isinstance(arguments, dict):
        for name, value in arguments.items():
            is_example = isinstance(value, str | int | float) and not isinstance(value, bool)
            properties[str(name)] = {"description": f"e.g. {value}"} if is_example else {}
    elif isinstance(arguments, list):
        properties = {name: {} for name in arguments if isinstance(name, str)}
    return {"type": "object", "properties": properties}


_ALPACA_SECTIONS = re.compile(
    r"^(?P<head>.*?)\n?Parameters: (?P<params>\{.*?\})\nOutput: (?P<output>[^\n]*)", re.S
)
_ALPACA_PARAM = re.compile(
    r"(?P<required>Required\.\s*)?(?P<type>[A-Za-z]+(?:\[[^\]]*\])?)\.\s*"
    r"(?:One of: \[(?P<enum>[^\]]*)\]\.\s*)?(?P<description>.*)",
    re.S,
)
# ToolAlpaca output lines that say nothing about what comes back.
_GENERIC_OUTPUT = re.compile(r"(?i)^(a )?success(ful)?( response)?\.?$")


def toolalpaca_tool(row: Mapping[str, Any]) -> ToolItem:
    """A ToolAlpaca function: its documentation text split into description, JSON-schema
    parameters and a ``returns`` line; the API's name and description become extra lines."""
    sections = _ALPACA_SECTIONS.match(row.get("description") or "")
    description, parameters, returns = row.get("description") or "", {}, ""
    if sections:
        description = sections.group("head")
        parameters = json.loads(sections.group("params"))
        output = sections.group("output").strip()
        returns = "" if _GENERIC_OUTPUT.match(output) else output
    properties: dict[str, Any] = {}
    required = []
    for name, doc in parameters.items():
        properties[name], is_required = _toolalpaca_parameter(str(doc))
        if is_required:
            required.append(name)
    extra = {"api": row["api"], "api_description": row.get("api_description") or ""}
    if returns:
        extra["returns"] = returns
    return ToolItem(
        name=row["function"],
        description=description,
        parameters=normalize_parameters({"properties": properties, "required": required}),
        format="dict",
        extra={key: value for key, value in extra.items() if value},
    )


def _toolalpaca_parameter(doc: str) -> tuple[dict[str, Any], bool]:
    """Parse ``"Required. string. One of: [a, b]. What it is."`` into (schema, required)."""
    parsed = _ALPACA_PARAM.fullmatch(doc.strip())
    if not parsed:
        return {"description": doc}, False
    schema = {**json_schema_type(parsed.group("type")), "description": parsed.group("description").strip()}
    if parsed.group("enum"):
        schema["enum"] = [value.strip() for value in parsed.group("enum").split(",")]
    return schema, bool(parsed.group("required"))


def sql_type(raw: str) -> str:
    """A column type as sqlglot normalizes DDL types (``int(11)`` -> ``INT(11)``)."""
    text = _SPIDER_TYPES.get(raw.strip().lower(), raw.strip())
    if not text:
        return ""
    try:
        return exp.DataType.build(text).sql()
    except (ParseError, ValueError):
        return text.upper()


def spider_tables(
    schema: Mapping[str, Any], comments: Mapping[tuple[str, str], str] | None = None
) -> dict[str, TableItem]:
    """The tables of one Spider-format schema (``tables.json`` entry), keyed by original name.

    Primary keys may be single column indexes or lists (composite keys, newer ``tables.json``);
    foreign keys are column-index pairs, merged into one composite key when several pairs from
    one table together reference the composite primary key of another. ``comments`` maps
    ``(table, column)`` (lower-case) to a column comment.
    """
    comments = comments or {}
    table_names: list[str] = schema["table_names_original"]
    columns: list[tuple[int, str]] = [(index, name) for index, name in schema["column_names_original"]]
    types: list[str] = schema["column_types"]
    by_table: dict[int, list[Column]] = defaultdict(list)
    for position, (table, name) in enumerate(columns):
        if table >= 0:
            comment = comments.get((table_names[table].lower(), name.lower()), "")
            by_table[table].append(Column(name=name, type=sql_type(types[position]), comment=comment))
    primary: dict[int, list[str]] = defaultdict(list)
    for key in schema["primary_keys"]:
        for position in key if isinstance(key, list) else [key]:
            primary[columns[position][0]].append(columns[position][1])
    foreign = _foreign_keys(schema["foreign_keys"], columns, table_names, primary)
    return {
        name: TableItem(
            name=name,
            columns=tuple(by_table[index]),
            primary_key=tuple(primary[index]),
            foreign_keys=tuple(foreign[index]),
            format="database",
        )
        for index, name in enumerate(table_names)
        if name.lower() not in INTERNAL_TABLES
    }


def _foreign_keys(
    pairs: list[list[int]],
    columns: list[tuple[int, str]],
    table_names: list[str],
    primary: Mapping[int, list[str]],
) -> dict[int, list[ForeignKey]]:
    grouped: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for source, target in pairs:
        link = (columns[source][1], columns[target][1])
        key = (columns[source][0], columns[target][0])
        if link not in grouped[key]:
            grouped[key].append(link)
    foreign: dict[int, list[ForeignKey]] = defaultdict(list)
    for (table, ref_table), links in grouped.items():
        ref_key = primary.get(ref_table, [])
        is_composite = len(links) > 1 and sorted(ref for _, ref in links) == sorted(ref_key)
        groups = [links] if is_composite else [[link] for link in links]
        foreign[table].extend(
            ForeignKey(
                columns=tuple(src for src, _ in group),
                ref_table=table_names[ref_table],
                ref_columns=tuple(ref for _, ref in group),
            )
            for group in groups
        )
    return foreign


def _squashed(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def informative_comments(descriptions: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, str], str]:
    """BIRD column descriptions (table -> column -> text) worth keeping as column comments.

    A description that only repeats the column name (``list_url`` -> ``"list url"``) adds
    tokens but no information, so it is dropped. Keys are ``(table, column)`` in lower case.
    """
    comments = {}
    for table, table_columns in descriptions.items():
        for column, text in table_columns.items():
            text = " ".join(str(text).split())
            if text and _squashed(text) != _squashed(column):
                comments[(table.strip().lower(), column.strip().lower())] = text
    return comments


_ADVISING_ROW = re.compile(
    r"\s*(?P<table>\w+),\s*(?P<column>\w+),\s*(?P<type>.+?),\s*(?P<null>YES|NO),"
    r"\s*(?P<key>PRI|MUL|UNI|-)\s*(,.*)?"
)


def advising_tables(schema_csv: str) -> dict[str, TableItem]:
    """The Advising tables from ``advising-schema.csv``.

    Despite its header the file is a MySQL ``DESCRIBE`` dump: table, field, type, nullable,
    key (``PRI`` marks primary-key columns), default, extra; the header and the ``-`` separator
    lines do not match the row pattern. It declares no foreign keys, and none are invented.
    Types may contain commas (``float(3,2)``), hence the regex.
    """
    columns: dict[str, list[Column]] = defaultdict(list)
    primary: dict[str, list[str]] = defaultdict(list)
    for line in schema_csv.splitlines():
        row = _ADVISING_ROW.fullmatch(line)
        if not row:
            continue
        table, column = row.group("table"), row.group("column")
        columns[table].append(
            Column(name=column, type=sql_type(row.group("type")), nullable=row.group("null") == "YES")
        )
        if row.group("key") == "PRI":
            primary[table].append(column)
    return {
        table: TableItem(
            name=table, columns=tuple(cols), primary_key=tuple(primary[table]), format="database"
        )
        for table, cols in columns.items()
    }
