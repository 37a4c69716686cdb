"""Loose tool dicts, e.g. the Jina Reranker v2 announcement's
``{'Name': 'getWeather', 'Specification': '...', 'spec': 'https://...', 'example': '...'}``.

Keys are matched case-insensitively. Any other string, number or list-of-strings field is kept
as an extra line of canonical text (``spec: https://...``), so nothing informative is lost.
Parameters may be a JSON Schema, a ``{name: type-or-description}`` map or a list of
``{"name", "type"?, "description"?, "required"?}`` entries.
"""

from __future__ import annotations

from typing import Any

from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem
from toolrouter.registry.schema import JSON_TYPES, TYPE_ALIASES

NAME_KEYS = ("name", "tool_name", "function_name", "api_name", "tool", "function", "title")
DESCRIPTION_KEYS = ("description", "specification", "desc", "summary", "doc", "docs", "documentation")
PARAMETER_KEYS = ("parameters", "params", "arguments", "args", "schema")


def is_loose_tool(spec: dict[str, Any]) -> bool:
    keys = {str(k).lower() for k in spec}
    return any(k in keys for k in NAME_KEYS) and "type" not in spec


def _first(folded: dict[str, tuple[str, Any]], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        if key in folded:
            return folded[key]
    return None, None


def _as_schema(raw: Any) -> Any:
    """Turn the informal parameter styles into a JSON Schema object (a schema passes through)."""
    if isinstance(raw, dict) and ("properties" in raw or "type" in raw):
        return raw
    if isinstance(raw, dict) and all(isinstance(v, str) for v in raw.values()):
        return {"type": "object", "properties": {name: _informal_property(text) for name, text in raw.items()}}
    if isinstance(raw, list) and all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in raw):
        properties = {p["name"]: {k: v for k, v in p.items() if k in ("type", "description", "enum")} for p in raw}
        required = [p["name"] for p in raw if p.get("required") is True]
        return {"type": "object", "properties": properties, **({"required": required} if required else {})}
    return raw


def _informal_property(text: str) -> dict[str, str]:
    lowered = text.strip().lower()
    if lowered in JSON_TYPES or lowered in TYPE_ALIASES:
        return {"type": lowered}
    return {"description": text}


def _extra_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return ""


def load_loose_tool(spec: dict[str, Any], where: str) -> ToolItem:
    folded = {str(key).lower(): (key, value) for key, value in spec.items()}
    name_key, name = _first(folded, NAME_KEYS)
    description_key, description = _first(folded, DESCRIPTION_KEYS)
    parameters_key, parameters = _first(folded, PARAMETER_KEYS)
    used = {name_key, description_key, parameters_key}
    extra = {str(key): _extra_text(value) for key, value in spec.items() if key not in used}
    return build_tool(
        name=name, description=description, parameters=_as_schema(parameters), format="dict", spec=spec,
        where=where, extra=extra, parameters_pointer=f"/{parameters_key or 'parameters'}",
    )
