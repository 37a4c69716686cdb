"""Anthropic client tools: ``{"name", "description", "input_schema"}`` (``type`` absent or ``custom``)."""

from __future__ import annotations

from typing import Any

from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem


def is_anthropic_tool(spec: dict[str, Any]) -> bool:
    return "input_schema" in spec and spec.get("type") in (None, "custom")


def load_anthropic_tool(spec: dict[str, Any], where: str) -> ToolItem:
    return build_tool(
        name=spec.get("name"), description=spec.get("description"), parameters=spec.get("input_schema"),
        format="anthropic", spec=spec, where=where, parameters_pointer="/input_schema",
    )
