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

Loader = Callable[[dict[str, Any], str], ToolItem]

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
    """Normalize one spec, a list of specs, an MCP ``tools/list`` result or a JSON string.

    Args:
        specs: What to load; Python callables are accepted anywhere a spec is.
        where: How the input is named in errors (``tools[3]`` ...). Defaults to "tools".

    Raises:
        SpecError: A spec is malformed; the message names it and the problem.
    """
    if isinstance(specs, str | bytes):
        try:
            specs = json.loads(specs)
        except ValueError as exc:
            raise SpecError(where, f"not valid JSON: {exc}") from exc
    if isinstance(specs, dict):
        listed = tools_list_entries(specs)
        if listed is None:
            return [load_tool(specs, where=where)]
        specs, where = listed, f"{where}.tools"
    if not isinstance(specs, Iterable) or callable(specs):
        return [load_tool(specs, where=where)]
    loaded: list[ToolItem | HostedTool] = []
    for index, spec in enumerate(specs):
        loaded.extend(load_tools(spec, where=f"{where}[{index}]") if isinstance(spec, list)
                      else [load_tool(spec, where=f"{where}[{index}]")])
    return loaded


def load_tool(spec: Any, *, where: str = "tool") -> ToolItem | HostedTool:
    """Normalize a single spec (dict or callable)."""
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
