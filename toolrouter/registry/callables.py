"""Python callables: the signature and type hints become a JSON Schema (through pydantic), the
docstring the description and per-parameter descriptions (Google ``Args:`` or Sphinx ``:param:``)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from toolrouter.errors import SpecError
from toolrouter.registry.build import build_tool
from toolrouter.registry.items import ToolItem

_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:\s*$")
_GOOGLE_ARG = re.compile(r"^\s*(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_SPHINX_ARG = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary paragraph(s) and a map of parameter name to description."""
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        header = _SECTION.match(line)
        if header:
            section, current = header.group(1).lower(), None
            continue
        sphinx = _SPHINX_ARG.match(line)
        if sphinx:
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            section = "sphinx"
            continue
        if line.strip().startswith(":"):
            section, current = "sphinx-other", None
            continue
        if section is None:
            summary.append(line)
        elif section in ("args", "arguments", "parameters", "params"):
            match = _GOOGLE_ARG.match(line)
            if match and (len(line) - len(line.lstrip())) <= 4:
                current = match.group(1).lstrip("*")
                params[current] = match.group(3).strip()
            elif current and line.strip():
                params[current] = f"{params[current]} {line.strip()}".strip()
        elif section == "sphinx" and current and line.strip():
            params[current] = f"{params[current]} {line.strip()}"
    return " ".join(s.strip() for s in summary if s.strip()), params


def load_callable(function: Callable[..., Any], where: str) -> ToolItem:
    from pydantic import ConfigDict, create_model

    name = getattr(function, "__name__", None)
    item = f"callable {name or where!r}"
    try:
        signature = inspect.signature(function)
        hints = get_type_hints(function)
    except (TypeError, ValueError, NameError) as exc:
        raise SpecError(item, f"cannot read its signature: {exc}") from exc
    description, docs = parse_docstring(inspect.getdoc(function) or "")
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in ("self", "cls"):
            continue
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, _field(default, docs.get(param.name)))
    try:
        model = create_model(f"{name}_parameters", __config__=ConfigDict(arbitrary_types_allowed=True), **fields)
        schema = model.model_json_schema()
    except Exception as exc:  # pydantic raises several types for unsupported annotations
        raise SpecError(item, f"cannot turn its type hints into a JSON Schema: {exc}") from exc
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    return build_tool(name=name, description=description, parameters=schema, format="python",
                      spec=function, where=where)


def _field(default: Any, description: str | None) -> Any:
    from pydantic import Field

    return Field(default, description=description) if description else Field(default)
