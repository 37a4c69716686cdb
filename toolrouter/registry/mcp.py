"""MCP tools (``{"name", "title"?, "description"?, "inputSchema", "annotations"?}``) and ``tools/list`` results."""

from __future__ import annotations

from typing import Any

from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem


def is_mcp_tool(spec: dict[str, Any]) -> bool:
    return "inputSchema" in spec


def tools_list_entries(spec: dict[str, Any]) -> list[Any] | None:
    """The tools of an MCP ``tools/list`` result (bare, or inside a JSON-RPC response), else None."""
    result = spec.get("result") if isinstance(spec.get("result"), dict) else spec
    tools = result.get("tools")
    if isinstance(tools, list) and set(result) <= {"tools", "nextCursor", "_meta"}:
        return tools
    return None


def load_mcp_tool(spec: dict[str, Any], where: str) -> ToolItem:
    annotations = spec.get("annotations") if isinstance(spec.get("annotations"), dict) else {}
    title = spec.get("title") or annotations.get("title")
    hints = [
        label
        for key, label in (("readOnlyHint", "read-only"), ("destructiveHint", "destructive"))
        if annotations.get(key) is True
    ]
    extra = {"title": title if isinstance(title, str) else "", "hints": ", ".join(hints)}
    return build_tool(
        name=spec.get("name"), description=spec.get("description"), parameters=spec.get("inputSchema"),
        format="mcp", spec=spec, where=where, extra=extra, parameters_pointer="/inputSchema",
    )
