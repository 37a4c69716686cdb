"""The normalized items a registry holds: tools, tables and hosted (non-function) tools.

Every spec format is turned into one of these; canonical text is rendered from them
(never from the raw spec), so all formats of the same tool read the same to the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

ItemKind = Literal["tool", "table"]


@dataclass(frozen=True)
class ToolItem:
    """A function tool in normalized form.

    Attributes:
        name: The name the model calls the function by (namespaced when a namespace was given).
        description: Free-text description; may be empty.
        parameters: A JSON Schema object describing the arguments (``type`` is always ``object``).
        format: The spec format it was read from (``openai``, ``mcp``, ``anthropic``, ...).
        spec: The original spec, as given (a callable for Python functions).
        extra: Other informative fields of the spec (MCP ``title``, an endpoint URL, an example).
        group: The service, server or toolkit it belongs to, as given when it was added (see
            :mod:`toolrouter.registry.groups`); None when it was given none.
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    format: str = "dict"
    spec: Any = None
    extra: dict[str, str] = field(default_factory=dict)
    group: str | None = None
    kind: ItemKind = field(default="tool", init=False)

    @cached_property
    def text(self) -> str:
        """The canonical text the reranker scores (see :mod:`toolrouter.registry.canonical`)."""
        from toolrouter.registry.canonical import render_tool

        return render_tool(self)

    @cached_property
    def service(self) -> str | None:
        """Its group: the one it was added with, else the one its name states
        (:func:`~toolrouter.registry.groups.group_from_name`); None when neither says."""
        from toolrouter.registry.groups import group_from_name

        return self.group if self.group is not None else group_from_name(self.name)

    @cached_property
    def summary(self) -> str:
        """What the tool does in one line, for the first stage (see
        :func:`~toolrouter.registry.canonical.render_tool_summary`)."""
        from toolrouter.registry.canonical import render_tool_summary

        return render_tool_summary(self)


@dataclass(frozen=True)
class Column:
    """A table column. ``type`` is the SQL type as written (normalized by sqlglot for DDL)."""

    name: str
    type: str = ""
    nullable: bool = True
    comment: str = ""


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_table`` (a registry name)."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableItem:
    """A database table (or a document collection described by a schema).

    Attributes:
        name: Registry name: ``schema.table`` when a schema was given, else ``table``.
        columns: The columns in declaration order.
        primary_key: Column names of the primary key (composite keys keep their order).
        foreign_keys: Outgoing foreign keys.
        comment: Table comment; may be empty.
        schema: Schema (or database) qualifier, if any.
        format: Where it came from: ``ddl``, ``database`` or ``mongodb``.
        spec: The original definition (DDL statement text, reflected table, validator document).
    """

    name: str
    columns: tuple[Column, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    comment: str = ""
    schema: str | None = None
    format: str = "ddl"
    spec: Any = None
    kind: ItemKind = field(default="table", init=False)

    @property
    def table_name(self) -> str:
        """The unqualified table name."""
        return self.name.rsplit(".", 1)[-1] if self.schema else self.name

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive), or None."""
        folded = name.casefold()
        return next((c for c in self.columns if c.name.casefold() == folded), None)

    @cached_property
    def text(self) -> str:
        """The canonical text: a compact, normalized CREATE TABLE statement."""
        from toolrouter.registry.canonical import render_table

        return render_table(self)


@dataclass(frozen=True)
class HostedTool:
    """A non-function tool (``web_search``, ``file_search``, hosted ``mcp``, ``custom`` ...).

    These are recognized so they are never mistaken for functions; routers pass them
    through untouched and never score them.
    """

    type: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        """A display name: the spec's ``name`` or ``server_label`` when present, else its type."""
        return str(self.spec.get("name") or self.spec.get("server_label") or self.type)


Item = ToolItem | TableItem
