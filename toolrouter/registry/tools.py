"""Turn tool specs of any supported format into :class:`ToolItem` / :class:`HostedTool` objects.

Formats are tried in the order of ``FORMATS``; the first whose test matches loads the spec.
A new format is one module with a ``is_*``/``load_*`` pair plus one entry here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from toolrouter.errors import SpecError
from toolrouter.registry.anthropic import is_anthropic_tool, load_anthropic_tool
from toolrouter.registry.callables import load_callable
from toolrouter.registry.items import HostedTool, ToolItem
from toolrouter.registry.loose import is_loose_tool, load_loose_tool
from toolrouter.registry.mcp import is_mcp_tool, load_mcp_tool, tools_list_entries
from toolrouter.registry.openai import (
    is_chat_tool,
    is_legacy_function,
    is_responses_tool,
    load_chat_tool,
    load_legacy_function,
    load_responses_tool,
)
from toolrouter.registry.openapi import is_openapi_document, load_openapi, openapi_yaml

Loader = Callable[[dict[str, Any], str], ToolItem]

# Deepest JSON nesting (objects and arrays) accepted in one input; deeper input is refused before
# anything recursive (schema validation, rendering, error messages, saving) walks it. A cyclic
# Python object never ends, so it counts as too deep.
MAX_SPEC_DEPTH = 200

FORMATS: list[tuple[str, Callable[[dict[str, Any]], bool], Loader]] = [
    ("openai", is_chat_tool, load_chat_tool),
    ("openai_responses", is_responses_tool, load_responses_tool),
    ("anthropic", is_anthropic_tool, load_anthropic_tool),
    ("mcp", is_mcp_tool, load_mcp_tool),
    ("openai_functions", is_legacy_function, load_legacy_function),
    ("dict", is_loose_tool, load_loose_tool),
]


def is_hosted_tool(spec: dict[str, Any]) -> bool:
    """Non-function tools: any typed spec that is not a function (``web_search``, ``file_search``,
    hosted ``mcp``, OpenAI ``custom`` grammar tools, Anthropic server tools ...)."""
    kind = spec.get("type")
    return isinstance(kind, str) and kind != "function" and not is_anthropic_tool(spec)


def load_tools(specs: Any, *, where: str = "tools") -> list[ToolItem | HostedTool]:
    """Normalize one spec, a list of specs, an MCP ``tools/list`` result, an OpenAPI document (JSON
    or YAML text too; see :mod:`toolrouter.registry.openapi`) or a JSON string.

    Args:
        specs: What to load; Python callables are accepted anywhere a spec is.
        where: How the input is named in errors (``tools[3]`` ...). Defaults to "tools".

    Raises:
        SpecError: A spec is malformed or the input nests deeper than ``MAX_SPEC_DEPTH``; the
            message names it (or its position) and the problem.
    """
    if isinstance(specs, str | bytes):
        specs = parse_specs_text(specs, where=where)
    if isinstance(specs, Iterable) and not isinstance(specs, dict | list | tuple) and not callable(specs):
        specs = list(specs)  # a generator or set: materialized so its depth can be checked
    check_depth(specs, where=where)
    return _load_all(specs, where)


def parse_specs_text(text: str | bytes, *, where: str = "tools") -> Any:
    """Specs given as text: JSON, or an OpenAPI document's YAML (:func:`openapi_yaml`).

    Raises:
        SpecError: Text that is neither, or JSON nested too deep to parse; names ``where``.
    """
    try:
        return json.loads(text)
    except ValueError as exc:
        try:
            document = openapi_yaml(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
        except UnicodeDecodeError:
            document = None
        if document is None:
            raise SpecError(where, f"not valid JSON: {exc}") from exc
        return document
    except RecursionError:
        raise SpecError(where, f"not valid JSON: nests deeper than {MAX_SPEC_DEPTH} levels") from None


def _load_all(specs: Any, where: str) -> list[ToolItem | HostedTool]:
    """:func:`load_tools` on parsed input whose depth is checked."""
    if isinstance(specs, dict):
        if is_openapi_document(specs):
            return list(load_openapi(specs, where))
        listed = tools_list_entries(specs)
        if listed is None:
            return [_load_one(specs, where)]
        specs, where = listed, f"{where}.tools"
    if not isinstance(specs, Iterable) or callable(specs):
        return [_load_one(specs, where)]
    loaded: list[ToolItem | HostedTool] = []
    for index, spec in enumerate(specs):
        if is_openapi_document(spec):
            raise SpecError(f"{where}[{index}]", "an OpenAPI document in a list: add each document with its "
                                                 "own add_tools call, so its operations get its group")
        loaded.extend(_load_all(spec, f"{where}[{index}]") if isinstance(spec, list)
                      else [_load_one(spec, f"{where}[{index}]")])
    return loaded


def check_depth(value: Any, *, where: str, limit: int = MAX_SPEC_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` levels, walking it without recursion.

    Raises:
        SpecError: naming the spec's position (``tools[3]``) and the JSON pointer (its first levels)
            of the too-deep part.
    """
    stack: list[tuple[Any, int, tuple | None]] = [(value, 0, None)]  # path: (key, parent path) links
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            children = ((str(key), child) for key, child in node.items())
        elif isinstance(node, list | tuple):
            children = enumerate(node)  # int keys: list positions
        else:
            continue
        if depth >= limit:
            keys: list[str | int] = []
            while path is not None:
                key, path = path
                keys.append(key)
            keys.reverse()
            if keys and isinstance(keys[0], int):  # a position in the list of specs names the spec
                where += f"[{keys.pop(0)}]"
            shown = "".join(f"/{str(key).replace('~', '~0').replace('/', '~1')}" for key in keys[:8])
            raise SpecError(where, f"nests deeper than {limit} levels of JSON objects and arrays",
                            shown + ("/…" if len(keys) > 8 else ""))
        stack.extend((child, depth + 1, (key, path)) for key, child in children)


def load_tool(spec: Any, *, where: str = "tool") -> ToolItem | HostedTool:
    """Normalize a single spec (dict or callable).

    Raises:
        SpecError: The spec is malformed or nests deeper than ``MAX_SPEC_DEPTH``; names it.
    """
    check_depth(spec, where=where)
    return _load_one(spec, where)


def _load_one(spec: Any, where: str) -> ToolItem | HostedTool:
    """:func:`load_tool` on a spec whose depth is checked."""
    if callable(spec) and not isinstance(spec, dict):
        return load_callable(spec, where)
    if not isinstance(spec, dict):
        raise SpecError(where, f"a tool spec must be an object or a callable, got {type(spec).__name__}")
    if is_hosted_tool(spec):
        return HostedTool(type=spec["type"], spec=spec)
    for _, matches, loader in FORMATS:
        if matches(spec):
            return loader(spec, where)
    keys = ", ".join(sorted(map(str, spec))[:8]) or "none"
    raise SpecError(where, f"unrecognized tool spec (keys: {keys}); expected an OpenAI, Anthropic, MCP or "
                           "loose {name, description, parameters} spec")
