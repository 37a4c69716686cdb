"""Registry: tool specs and table definitions normalized into items with canonical text.

Data flows one way: spec → item (:class:`ToolItem` / :class:`TableItem`) → canonical text. The
registry maps each name to its item and refuses duplicate names unless told to replace.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace as replace_fields
from typing import Any

from toolrouter.errors import DuplicateNameError, RegistryFileError
from toolrouter.registry.canonical import count_tokens
from toolrouter.registry.database import reflect_database
from toolrouter.registry.ddl import parse_ddl
from toolrouter.registry.groups import Group
from toolrouter.registry.items import Column, ForeignKey, HostedTool, Item, TableItem, ToolItem
from toolrouter.registry.mongo import load_collections
from toolrouter.registry.openapi import is_openapi_document, openapi_aliases, openapi_group
from toolrouter.registry.tools import load_tools, parse_specs_text

__all__ = [
    "Column",
    "ForeignKey",
    "Group",
    "HostedTool",
    "Item",
    "Registry",
    "TableItem",
    "ToolItem",
    "count_tokens",
    "load_tools",
    "parse_ddl",
    "reflect_database",
]

# Joins a namespace (e.g. an MCP server) to a tool name; OpenAI names allow only [A-Za-z0-9_-].
NAMESPACE_SEPARATOR = "__"


class Registry(Mapping[str, Item]):
    """Named tools and tables, in insertion order.

    ``registry[name]`` is the item; :attr:`hosted` holds non-function tools (``web_search`` ...)
    that are kept for pass-through but never scored; :attr:`groups` describes the groups tools
    were added with (see :meth:`group_of`).
    """

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._items: dict[str, Item] = {}
        self.hosted: list[HostedTool] = []
        self.groups: dict[str, Group] = {}
        self.version = 0  # bumped on every change; routers key their caches on it
        self.add(items)

    # Mapping protocol
    def __getitem__(self, name: str) -> Item:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({len(self.tools)} tools, {len(self.tables)} tables, {len(self.hosted)} hosted)"

    @property
    def tools(self) -> list[ToolItem]:
        """The function tools, in insertion order."""
        return [item for item in self._items.values() if isinstance(item, ToolItem)]

    @property
    def tables(self) -> list[TableItem]:
        """The tables, in insertion order."""
        return [item for item in self._items.values() if isinstance(item, TableItem)]

    def add(self, items: Iterable[Item], *, replace: bool = False) -> list[Item]:
        """Add ready items.

        Raises:
            DuplicateNameError: A name is already taken (or repeats in ``items``) and ``replace`` is False.
        """
        items = list(items)
        if not replace:
            seen: set[str] = set()
            for item in items:
                if item.name in self._items or item.name in seen:
                    raise DuplicateNameError(
                        f"{item.kind} {item.name!r}",
                        "a tool or table with this name is already registered; pass replace=True to "
                        "overwrite it, or namespace=... to prefix the names of this batch",
                    )
                seen.add(item.name)
        for item in items:
            self._items[item.name] = item
        if items:
            self.version += 1
        return items

    def add_tools(self, specs: Any, *, namespace: str | None = None, group: str | None = None,
                  group_description: str | None = None, replace: bool = False) -> list[ToolItem]:
        """Add function tools from any supported spec format; non-function tools go to :attr:`hosted`.

        Args:
            specs: A spec, a list of specs, an MCP ``tools/list`` result, an OpenAPI document (or
                its JSON or YAML text: one tool per operation, see :mod:`toolrouter.registry.openapi`),
                a JSON string or callables.
            namespace: Prefix for these tools' names (``namespace__name``), e.g. the MCP server name,
                so two servers may both offer ``search``; also their group unless ``group`` is
                given. Defaults to None.
            group: The service, server or toolkit these tools belong to (``"slack"``); see
                :meth:`group_of`. Defaults to ``namespace``, else an OpenAPI document's title
                without API boilerplate (``GitHub v3 REST API`` → ``GitHub``).
            group_description: What the group's service does, in a sentence or two; kept in
                :attr:`groups` (a later non-empty description replaces it). Defaults to None, or an
                OpenAPI document's ``info.description``; such a document also gives the group
                aliases (:func:`~toolrouter.registry.openapi.openapi_aliases`).
            replace: Overwrite tools whose names are taken instead of raising. Defaults to False.

        Raises:
            ValueError: ``group_description`` without a group, or an empty group name.
        """
        aliases: tuple[str, ...] = ()
        if isinstance(specs, str | bytes):
            specs = parse_specs_text(specs)  # once: an OpenAPI document's group comes from its text
        if is_openapi_document(specs):
            named, described = openapi_group(specs)
            group = group if group is not None else namespace or named
            if group is not None:
                group_description = group_description or described
                aliases = openapi_aliases(specs, named)
        group = group if group is not None else namespace
        if group is not None and not str(group).strip():
            raise ValueError("group must be a non-empty name")
        if group_description and group is None:
            raise ValueError("group_description needs a group (group=... or namespace=...)")
        loaded = load_tools(specs)
        tools = [item for item in loaded if isinstance(item, ToolItem)]
        if namespace:
            tools = [replace_fields(t, name=f"{namespace}{NAMESPACE_SEPARATOR}{t.name}") for t in tools]
        if group is not None:
            tools = [replace_fields(t, group=str(group).strip()) for t in tools]
        added = self.add(tools, replace=replace)
        if group is not None:
            self.describe_group(str(group).strip(), group_description, aliases)
        self.hosted.extend(item for item in loaded if isinstance(item, HostedTool))
        return added  # type: ignore[return-value]

    def describe_group(self, name: str, description: str | None = None, aliases: Iterable[str] = ()) -> Group:
        """Record group ``name`` in :attr:`groups`, with ``description`` when one is given (a
        non-empty description replaces the old one) and ``aliases`` added to its own."""
        known = self.groups.get(name)
        merged = tuple(dict.fromkeys([*(known.aliases if known else ()), *(a.strip() for a in aliases if a.strip())]))
        if known is None or (description and description != known.description) or merged != known.aliases:
            known = self.groups[name] = Group(name, description or (known.description if known else ""), merged)
            self.version += 1
        return known

    def group_of(self, item: Item) -> str | None:
        """The group of a tool: the one it was added with, else the one its name states
        (:func:`~toolrouter.registry.groups.group_from_name`); None for tables and ungrouped tools."""
        return item.service if isinstance(item, ToolItem) else None

    def add_tables(self, ddl: str, dialect: str | None = None, *, schema: str | None = None,
                   replace: bool = False) -> list[TableItem]:
        """Add tables from CREATE TABLE text in any sqlglot dialect (see :func:`parse_ddl`)."""
        return self.add(parse_ddl(ddl, dialect=dialect, schema=schema), replace=replace)  # type: ignore[return-value]

    def add_database(self, source: Any, *, schema: str | None = None, include: list[str] | None = None,
                     replace: bool = False) -> list[TableItem]:
        """Add the tables of a live database: a URL, Engine or MetaData (see :func:`reflect_database`)."""
        tables = reflect_database(source, schema=schema, include=include)
        return self.add(tables, replace=replace)  # type: ignore[return-value]

    def add_collections(self, spec: Any, *, database: str | None = None, replace: bool = False) -> list[TableItem]:
        """Add MongoDB collections described by ``$jsonSchema`` validators."""
        return self.add(load_collections(spec, database=database), replace=replace)  # type: ignore[return-value]

    def remove(self, name: str) -> Item:
        """Remove and return the item called ``name``."""
        item = self._items.pop(name)
        self.version += 1
        return item

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the registry to a JSON file atomically (see :mod:`toolrouter.registry.store`).

        Raises:
            RegistryFileError: The file cannot be written (its directory is missing, ...); names it.
        """
        from toolrouter.registry import store

        store.save(path, list(self._items.values()), self.hosted, list(self.groups.values()))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Registry:
        """Read a registry file written by :meth:`save`.

        Raises:
            RegistryFileError: The file is missing, truncated, invalid, of an unknown format version,
                or names one item twice; names the file.
        """
        from toolrouter.registry import store

        items, hosted, groups = store.load(path)
        try:
            registry = cls(items)
        except DuplicateNameError as exc:
            raise RegistryFileError(os.fspath(path), str(exc)) from None
        registry.hosted = hosted
        registry.groups = {group.name: group for group in groups}
        return registry
