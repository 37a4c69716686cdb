"""Canonical text: the one compact, deterministic rendering of an item that the reranker reads.

Training, benchmarks and serving all render items through this module, so the model always
sees the same text for the same item whatever spec format it came from.

Tools::

    tool: calculateCarbonFootprint
    description: Calculates the carbon footprint of a trip.
    parameters: distance (number, required): distance travelled in km; mode (string: car|train|plane)

Tables (one line, key columns and comments kept)::

    CREATE TABLE transactions (transaction_id INT PRIMARY KEY, customer_id INT, amount DECIMAL(10,2)
    COMMENT 'in USD', FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id))

Tools also get a one-line **summary** (:func:`render_tool_summary`): what the tool does in words, for
the e5 first stage, which matches a request better against a short statement of the action than
against a long text full of parameter names::

    Gmail: send users messages. Sends the specified message to the recipients in the To, Cc, and Bcc headers.

Budget: a text is kept within ``max_tokens`` approximate tokens (``DEFAULT_MAX_TOKENS``). When a
text is too long it is trimmed in this fixed order, stopping as soon as it fits: enums are cut to
``MAX_ENUM_VALUES`` values, each parameter/column comment to ``MAX_FIELD_TOKENS`` tokens, the
description to half the budget, parameter/column comments are dropped, then trailing parameters
or non-key columns are replaced by ``(+N more)``. The name and key columns are never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from toolrouter.registry.items import TableItem, ToolItem

# Approximate token budget of one item's text; the bundled model reads at most ~510 tokens
# per pair, and the query needs room too.
DEFAULT_MAX_TOKENS = 256
# Enum values shown before "(+N)" when trimming.
MAX_ENUM_VALUES = 8
# Tokens kept of each parameter description or column comment when trimming.
MAX_FIELD_TOKENS = 24
# Nested object properties are flattened as ``parent.child`` down to this depth.
MAX_NESTING = 2

_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
_SPACES = re.compile(r"\s+")


def count_tokens(text: str) -> int:
    """A cheap, tokenizer-free estimate of subword tokens (latin words, digit runs, other chars)."""
    return len(_TOKEN.findall(text))


def clip_tokens(text: str, max_tokens: int) -> str:
    """Cut ``text`` after ``max_tokens`` estimated tokens, marking the cut with an ellipsis."""
    if max_tokens <= 0:
        return ""
    matches = list(_TOKEN.finditer(text))
    if len(matches) <= max_tokens:
        return text
    return text[: matches[max_tokens - 1].end()].rstrip() + "…"


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates, which no tokenizer can encode, become ``?``."""
    return text.encode("utf-8", "replace").decode("utf-8")


def squash(text: Any) -> str:
    """Collapse whitespace (newlines included) to single spaces."""
    return _SPACES.sub(" ", str(text)).strip() if text is not None else ""


def _type_label(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = "|".join(str(k) for k in kind if k != "null") or "null"
    if kind == "array":
        items = schema.get("items")
        inner = _type_label(items) if isinstance(items, dict) else ""
        return f"array of {inner}" if inner else "array"
    if not kind:
        for combinator in ("anyOf", "oneOf"):
            options = schema.get(combinator)
            if isinstance(options, list):
                labels = [_type_label(o) for o in options if isinstance(o, dict)]
                return "|".join(label for label in labels if label and label != "null")
        if "properties" in schema:
            return "object"
        return ""
    return str(kind)


def _enum_label(schema: dict[str, Any], max_values: int | None) -> str:
    values = schema.get("enum")
    if not isinstance(values, list) or not values:
        return ""
    shown = values if max_values is None else values[:max_values]
    label = "|".join(squash(v) if isinstance(v, str) else json.dumps(v) for v in shown)
    if len(shown) < len(values):
        label += f"|(+{len(values) - len(shown)})"
    return label


def _flatten_parameters(schema: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterable[tuple]:
    """Yield (dotted name, schema, required) for each property, nested objects flattened."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            sub = {}
        dotted = f"{prefix}{name}"
        yield dotted, sub, name in required
        if depth + 1 < MAX_NESTING and isinstance(sub.get("properties"), dict):
            yield from _flatten_parameters(sub, dotted + ".", depth + 1)
        items = sub.get("items")
        if depth + 1 < MAX_NESTING and isinstance(items, dict) and isinstance(items.get("properties"), dict):
            yield from _flatten_parameters(items, dotted + "[].", depth + 1)


def _render_parameter(name: str, schema: dict[str, Any], required: bool, *, max_enum: int | None,
                      max_desc: int | None) -> str:
    facts = [_type_label(schema)]
    if required:
        facts.append("required")
    facts = [f for f in facts if f]
    enum = _enum_label(schema, max_enum)
    head = name
    if facts:
        head += f" ({', '.join(facts)}{': ' + enum if enum else ''})"
    elif enum:
        head += f" ({enum})"
    description = squash(schema.get("description") or schema.get("title") or "")
    if "default" in schema and not isinstance(schema["default"], dict | list):
        description = (description + f" default {schema['default']}").strip()
    if max_desc is not None:
        description = clip_tokens(description, max_desc)
    return f"{head}: {description}" if description else head


def _fit(render: Callable[[dict[str, Any]], str], steps: list[dict[str, Any]], max_tokens: int) -> str:
    """Render with progressively stronger trimming options until the text fits the budget."""
    options: dict[str, Any] = {}
    text = render(options)
    for step in steps:
        if count_tokens(text) <= max_tokens:
            return valid_text(text)
        options = {**options, **step}
        text = render(options)
    # The last resort cuts the text itself; its ellipsis counts as one token of the budget.
    return valid_text(text if count_tokens(text) <= max_tokens else clip_tokens(text, max_tokens - 1))


# Words of the description's first sentence kept in a tool's summary.
SUMMARY_WORDS = 40
_NAME_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_VERSION = re.compile(r"v?\d+")
# ``v2``, ``…PostV3…`` and, after an upper-case word, ``GETV3``/``POSTV3`` (Sendgrid-style names).
_API_VERSION = re.compile(r"(?<![A-Za-z])[Vv]\d+|(?<=[a-z])V\d+|(?<=[A-Z]{2})V\d+")
HTTP_METHODS = frozenset(("get", "post", "put", "patch", "delete"))
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")


def name_words(name: str, group: str | None = None) -> str:
    """A tool name as words, action first, without its group's words or version numbers:
    ``Gmail_GmailUsersMessagesSend`` (group ``Gmail``) → ``send users messages``,
    ``mcp__github__create_issue`` → ``create issue``."""
    from toolrouter.registry.groups import ACTION_WORDS

    skip = {w.lower() for w in _NAME_WORD.findall(group or "")}
    words = [w.lower() for w in _NAME_WORD.findall(_API_VERSION.sub(" ", name))]
    words = list(dict.fromkeys(w for w in words if w not in skip and w != "mcp" and not _VERSION.fullmatch(w)))
    actions = [w for w in words if w in ACTION_WORDS]
    if actions:
        # REST-generated names often end with the action (``MessagesSend``); others start with it.
        action = words[-1] if words[-1] in ACTION_WORDS else actions[0]
        if words[0] in HTTP_METHODS and words[0] != action:
            words.pop(0)  # ``PostMarketingEventsCreate``: the HTTP method says less than the action
        words.remove(action)
        words.insert(0, action)
    return " ".join(words)


def render_tool_summary(tool: ToolItem) -> str:
    """What a tool does in one line: its group, its name as words (action first) and the first
    sentence of its description (``SUMMARY_WORDS`` words at most)."""
    from toolrouter.registry.groups import group_words

    group = tool.service
    description = squash(tool.description)
    match = _SENTENCE.match(description)
    sentence = " ".join((match.group(1) if match else description).split()[:SUMMARY_WORDS])
    head = name_words(tool.name, group) or tool.name
    text = f"{group_words(group)}: {head}" if group else head
    return valid_text(f"{text}. {sentence}" if sentence else text)


def render_tool(tool: ToolItem, max_tokens: int = DEFAULT_MAX_TOKENS) -> str:
    """The canonical text of a tool (see the module docstring for the format and budget)."""
    parameters = list(_flatten_parameters(tool.parameters))
    description = squash(tool.description)
    extras = [(key, squash(value)) for key, value in tool.extra.items() if squash(value)]

    def render(opts: dict[str, Any]) -> str:
        lines = [f"tool: {tool.name}"]
        desc = description
        if opts.get("desc_tokens") is not None:
            desc = clip_tokens(desc, opts["desc_tokens"])
        if desc:
            lines.append(f"description: {desc}")
        lines.extend(f"{key}: {clip_tokens(value, opts.get('field_tokens') or 10**9)}" for key, value in extras)
        shown = parameters if opts.get("keep_params") is None else parameters[: opts["keep_params"]]
        rendered = [
            _render_parameter(name, sub, req, max_enum=opts.get("max_enum"),
                              max_desc=0 if opts.get("drop_field_text") else opts.get("field_tokens"))
            for name, sub, req in shown
        ]
        if len(shown) < len(parameters):
            rendered.append(f"(+{len(parameters) - len(shown)} more)")
        if rendered:
            lines.append("parameters: " + "; ".join(rendered))
        return "\n".join(lines)

    steps: list[dict[str, Any]] = [
        {"max_enum": MAX_ENUM_VALUES},
        {"field_tokens": MAX_FIELD_TOKENS},
        {"desc_tokens": max_tokens // 2},
        {"drop_field_text": True},
    ]
    steps += [{"keep_params": n} for n in _shrinking(len(parameters))]
    return _fit(render, steps, max_tokens)


def _shrinking(count: int) -> list[int]:
    """Halving counts from ``count`` down to 1, for dropping trailing parameters or columns."""
    counts = []
    while count > 1:
        count //= 2
        counts.append(count)
    return counts


def quote_identifier(name: str) -> str:
    """Quote an identifier with double quotes only when it is not a plain word."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_table(table: TableItem, max_tokens: int = DEFAULT_MAX_TOKENS) -> str:
    """The canonical text of a table: one normalized ``CREATE TABLE`` line."""
    key_columns = set(table.primary_key)
    for fk in table.foreign_keys:
        key_columns.update(fk.columns)
    single_pk = table.primary_key[0] if len(table.primary_key) == 1 else None
    # Key columns first when trimming, so joins stay visible; otherwise declaration order.
    ordered_for_trim = [c for c in table.columns if c.name in key_columns] + [
        c for c in table.columns if c.name not in key_columns
    ]

    def render(opts: dict[str, Any]) -> str:
        keep = opts.get("keep_params")
        kept = {c.name for c in ordered_for_trim[: max(keep, len(key_columns))]} if keep is not None else None
        parts = []
        for column in table.columns:
            if kept is not None and column.name not in kept:
                continue
            part = quote_identifier(column.name)
            if column.type:
                part += f" {column.type}"
            if column.name == single_pk:
                part += " PRIMARY KEY"
            elif not column.nullable:
                part += " NOT NULL"
            comment = "" if opts.get("drop_field_text") else squash(column.comment)
            if comment and opts.get("field_tokens") is not None:
                comment = clip_tokens(comment, opts["field_tokens"])
            if comment:
                part += f" COMMENT {_sql_string(comment)}"
            parts.append(part)
        if kept is not None and len(kept) < len(table.columns):
            parts.append(f"(+{len(table.columns) - len(kept)} more columns)")
        if len(table.primary_key) > 1:
            parts.append(f"PRIMARY KEY ({', '.join(quote_identifier(c) for c in table.primary_key)})")
        for fk in table.foreign_keys:
            ref_columns = f"({', '.join(quote_identifier(c) for c in fk.ref_columns)})" if fk.ref_columns else ""
            parts.append(
                f"FOREIGN KEY ({', '.join(quote_identifier(c) for c in fk.columns)}) "
                f"REFERENCES {'.'.join(quote_identifier(p) for p in fk.ref_table.split('.'))}{ref_columns}"
            )
        name = ".".join(quote_identifier(p) for p in ([table.schema, table.table_name] if table.schema
                                                       else [table.name]))
        text = f"CREATE TABLE {name} ({', '.join(parts)})"
        comment = squash(table.comment)
        if comment and opts.get("desc_tokens") is not None:
            comment = clip_tokens(comment, opts["desc_tokens"])
        if comment:
            text += f" COMMENT {_sql_string(comment)}"
        return text

    steps: list[dict[str, Any]] = [
        {"field_tokens": MAX_FIELD_TOKENS},
        {"desc_tokens": max_tokens // 2},
        {"drop_field_text": True},
    ]
    steps += [{"keep_params": n} for n in _shrinking(len(table.columns))]
    return _fit(render, steps, max_tokens)
