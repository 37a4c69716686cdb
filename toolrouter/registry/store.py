"""The registry file: a JSON document holding normalized items, written atomically.

Its shape is defined by the pydantic models below; ``schemas/registry.schema.json`` is generated
from them (``toolrouter schema registry``) and a test keeps the two identical.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolrouter.errors import RegistryFileError
from toolrouter.registry.items import Column, ForeignKey, HostedTool, Item, TableItem, ToolItem

FILE_FORMAT = "toolrouter-registry"
FILE_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolRecord(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, Any]
    format: str = "dict"
    extra: dict[str, str] = Field(default_factory=dict)
    spec: Any = Field(default=None, description="The original spec when it is JSON; null for callables.")


class HostedRecord(_Strict):
    type: str
    spec: dict[str, Any]


class ColumnRecord(_Strict):
    name: str
    type: str = ""
    nullable: bool = True
    comment: str = ""


class ForeignKeyRecord(_Strict):
    columns: list[str]
    ref_table: str
    ref_columns: list[str] = Field(default_factory=list)


class TableRecord(_Strict):
    name: str = Field(min_length=1)
    columns: list[ColumnRecord]
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKeyRecord] = Field(default_factory=list)
    comment: str = ""
    schema_: str | None = Field(default=None, alias="schema")
    format: str = "ddl"
    spec: Any = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RegistryFile(_Strict):
    """A saved registry: tools, hosted tools and tables in insertion order."""

    format: Literal["toolrouter-registry"] = FILE_FORMAT
    version: Literal[1] = FILE_VERSION
    tools: list[ToolRecord] = Field(default_factory=list)
    hosted: list[HostedRecord] = Field(default_factory=list)
    tables: list[TableRecord] = Field(default_factory=list)


def _json_or_none(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def to_file(items: list[Item], hosted: list[HostedTool]) -> RegistryFile:
    tools, tables = [], []
    for item in items:
        if isinstance(item, ToolItem):
            tools.append(ToolRecord(name=item.name, description=item.description, parameters=item.parameters,
                                    format=item.format, extra=item.extra, spec=_json_or_none(item.spec)))
        else:
            tables.append(TableRecord(
                name=item.name,
                columns=[ColumnRecord(name=c.name, type=c.type, nullable=c.nullable, comment=c.comment)
                         for c in item.columns],
                primary_key=list(item.primary_key),
                foreign_keys=[ForeignKeyRecord(columns=list(fk.columns), ref_table=fk.ref_table,
                                               ref_columns=list(fk.ref_columns)) for fk in item.foreign_keys],
                comment=item.comment, schema=item.schema, format=item.format, spec=_json_or_none(item.spec),
            ))
    return RegistryFile(tools=tools, hosted=[HostedRecord(type=h.type, spec=h.spec) for h in hosted],
                        tables=tables)


def from_file(document: RegistryFile) -> tuple[list[Item], list[HostedTool]]:
    items: list[Item] = [
        ToolItem(name=t.name, description=t.description, parameters=t.parameters, format=t.format,
                 spec=t.spec, extra=t.extra)
        for t in document.tools
    ]
    items += [
        TableItem(
            name=t.name,
            columns=tuple(Column(c.name, c.type, c.nullable, c.comment) for c in t.columns),
            primary_key=tuple(t.primary_key),
            foreign_keys=tuple(ForeignKey(tuple(f.columns), f.ref_table, tuple(f.ref_columns))
                               for f in t.foreign_keys),
            comment=t.comment, schema=t.schema_, format=t.format, spec=t.spec,
        )
        for t in document.tables
    ]
    return items, [HostedTool(type=h.type, spec=h.spec) for h in document.hosted]


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either its old or its new content, never a mix.

    The bytes go to a temporary file in the same directory, are fsynced, then renamed over
    ``path``; the directory is fsynced so the rename itself survives a crash.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save(path: str | os.PathLike[str], items: list[Item], hosted: list[HostedTool]) -> None:
    document = to_file(items, hosted)
    write_atomic(path, document.model_dump_json(by_alias=True, indent=1).encode("utf-8"))


def load(path: str | os.PathLike[str]) -> tuple[list[Item], list[HostedTool]]:
    """Read a registry file.

    Raises:
        RegistryFileError: The file is missing, truncated, not JSON or not a registry document.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RegistryFileError(str(path), f"cannot read it: {exc.strerror or exc}") from exc
    try:
        document = RegistryFile.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        kind = "not valid JSON (truncated or corrupted?)" if first["type"] == "json_invalid" else "invalid"
        raise RegistryFileError(str(path), f"{kind}: {first['msg']} at /{where}") from None
    return from_file(document)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the registry file, as committed in ``schemas/registry.schema.json``."""
    schema = RegistryFile.model_json_schema(by_alias=True)
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "toolrouter registry file"}
