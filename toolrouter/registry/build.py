"""Shared construction of :class:`ToolItem` from the fields every spec format ends up with."""

from __future__ import annotations

from typing import Any

from toolrouter.errors import SpecError
from toolrouter.registry.canonical import squash, valid_text
from toolrouter.registry.items import ToolItem
from toolrouter.registry.schema import parameters_schema

# Longest tool name accepted (OpenAI allows 64, MCP servers go longer).
MAX_NAME_LENGTH = 256


def require_name(value: Any, *, where: str, field: str = "name") -> str:
    """A tool's name: a non-empty, single-line string.

    Raises:
        SpecError: naming ``where`` (the spec's position) when the name is missing or unusable.
    """
    if not isinstance(value, str) or not value.strip():
        raise SpecError(where, f"missing or empty {field!r} (got {value!r:.60})")
    if len(value) > MAX_NAME_LENGTH:
        raise SpecError(where, f"{field!r} is longer than {MAX_NAME_LENGTH} characters")
    if any(ch in value for ch in "\r\n\t\x00"):
        raise SpecError(where, f"{field!r} contains control characters: {value!r:.60}")
    if valid_text(value) != value:
        raise SpecError(where, f"{field!r} is not valid Unicode (a lone surrogate): {value!r:.60}")
    return value.strip()


def optional_text(value: Any, *, item: str, field: str) -> str:
    """A free-text field: a string, or absent/None (empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SpecError(item, f"{field} must be a string, got {type(value).__name__}", f"/{field}")
    return value


def build_tool(
    *,
    name: Any,
    description: Any,
    parameters: Any,
    format: str,
    spec: Any,
    where: str,
    extra: dict[str, Any] | None = None,
    parameters_pointer: str = "/parameters",
) -> ToolItem:
    """Validate the common fields and build the item (``where`` locates the spec in errors)."""
    tool_name = require_name(name, where=where)
    item = f"tool {tool_name!r}"
    text_extra = {key: squash(value) for key, value in (extra or {}).items() if isinstance(value, str) and value}
    return ToolItem(
        name=tool_name,
        description=optional_text(description, item=item, field="description"),
        parameters=parameters_schema(parameters, item=item, pointer=parameters_pointer),
        format=format,
        spec=spec,
        extra=text_extra,
    )
