"""OpenAI tool specs: Chat Completions tools, legacy ``functions`` and Responses API function tools."""

from __future__ import annotations

from typing import Any

from toolrouter.errors import SpecError
from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem


def is_chat_tool(spec: dict[str, Any]) -> bool:
    """``{"type": "function", "function": {...}}`` (Chat Completions)."""
    return spec.get("type") == "function" and "function" in spec


def is_responses_tool(spec: dict[str, Any]) -> bool:
    """``{"type": "function", "name": ..., "parameters": ...}`` (Responses API, flat)."""
    return spec.get("type") == "function" and "function" not in spec


def is_legacy_function(spec: dict[str, Any]) -> bool:
    """``{"name", "description"?, "parameters"}`` (the legacy ``functions`` list, BFCL specs)."""
    return "type" not in spec and "name" in spec and "parameters" in spec


def load_chat_tool(spec: dict[str, Any], where: str) -> ToolItem:
    function = spec["function"]
    if not isinstance(function, dict):
        raise SpecError(where, f"'function' must be an object, got {type(function).__name__}", "/function")
    return build_tool(
        name=function.get("name"), description=function.get("description"), parameters=function.get("parameters"),
        format="openai", spec=spec, where=where, parameters_pointer="/function/parameters",
    )


def load_responses_tool(spec: dict[str, Any], where: str) -> ToolItem:
    return build_tool(
        name=spec.get("name"), description=spec.get("description"), parameters=spec.get("parameters"),
        format="openai_responses", spec=spec, where=where,
    )


def load_legacy_function(spec: dict[str, Any], where: str) -> ToolItem:
    return build_tool(
        name=spec.get("name"), description=spec.get("description"), parameters=spec.get("parameters"),
        format="openai_functions", spec=spec, where=where,
    )
