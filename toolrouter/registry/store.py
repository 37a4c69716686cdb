"""The registry file: a JSON document holding normalized items, written atomically.

Its shape is defined by the pydantic models below; ``schemas/registry.schema.json`` is generated
from them (``toolrouter schema registry``) and a test keeps the two identical.

A save never leaves a half-written file at the path (see :func:`write_atomic`): a process killed
mid-save leaves the old or the new registry there, plus at worst its hidden temporary file
(``.NAME.<16 hex>.tmp``), which loading never reads and a later save removes once it is
``STALE_TEMP_SECONDS`` old (younger ones may belong to a writer that is still running).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import secrets
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolrouter.errors import RegistryFileError
from toolrouter.registry.groups import Group
from toolrouter.registry.items import Column, ForeignKey, HostedTool, Item, TableItem, ToolItem

FILE_FORMAT = "toolrouter-registry"
FILE_VERSION = 1
# Temporary files of a save are ``.NAME.<TEMP_TOKEN_BYTES * 2 hex digits>.tmp`` next to the file.
TEMP_TOKEN_BYTES = 8
# A temporary file this old (seconds) belongs to no running save: a killed writer left it.
STALE_TEMP_SECONDS = 3600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolRecord(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, Any]
    format: str = "dict"
    extra: dict[str, str] = Field(default_factory=dict)
    spec: Any = Field(default=None, description="The original spec when it is JSON; null for callables.")
    group: str | None = Field(default=None, description="The group it was added with (a service or server).")


class GroupRecord(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    aliases: list[str] = Field(default_factory=list, description="Other names a request may call the group by.")


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

    # Required, so that no other JSON document (``{}`` ...) reads as an empty registry.
    format: Literal["toolrouter-registry"]
    version: Literal[1]
    tools: list[ToolRecord] = Field(default_factory=list)
    hosted: list[HostedRecord] = Field(default_factory=list)
    tables: list[TableRecord] = Field(default_factory=list)
    groups: list[GroupRecord] = Field(default_factory=list)


def _json_or_none(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def to_file(items: list[Item], hosted: list[HostedTool], groups: Sequence[Group] = ()) -> RegistryFile:
    tools, tables = [], []
    for item in items:
        if isinstance(item, ToolItem):
            tools.append(ToolRecord(name=item.name, description=item.description, parameters=item.parameters,
                                    format=item.format, extra=item.extra, spec=_json_or_none(item.spec),
                                    group=item.group))
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
    return RegistryFile(format=FILE_FORMAT, version=FILE_VERSION, tools=tools,
                        hosted=[HostedRecord(type=h.type, spec=h.spec) for h in hosted], tables=tables,
                        groups=[GroupRecord(name=g.name, description=g.description, aliases=list(g.aliases))
                                for g in groups])


def from_file(document: RegistryFile) -> tuple[list[Item], list[HostedTool], list[Group]]:
    items: list[Item] = [
        ToolItem(name=t.name, description=t.description, parameters=t.parameters, format=t.format,
                 spec=t.spec, extra=t.extra, group=t.group)
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
    return (items, [HostedTool(type=h.type, spec=h.spec) for h in document.hosted],
            [Group(g.name, g.description, tuple(g.aliases)) for g in document.groups])


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either its old or its new content, never a mix.

    The bytes go to a new temporary file in the same directory (so the rename stays on one file
    system), are flushed and fsynced, then renamed over ``path``; on POSIX the directory is fsynced
    too, so the rename itself survives a power cut. The file keeps the permissions of the one it
    replaces (a new file gets the umask's). When ``path`` is a symbolic link, the file it points
    to is replaced and the link kept. On any failure the temporary file is removed.

    Raises:
        OSError: The file cannot be written; a missing directory is reported as such, not created.
    """
    target = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"directory {target.parent} does not exist", str(target))
    _remove_stale_temps(target)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temp = target.with_name(f".{target.name}.{secrets.token_hex(TEMP_TOKEN_BYTES)}.tmp")
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            if mode is not None:
                os.chmod(temp, mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _remove_stale_temps(target: Path) -> None:
    """Delete temporary files that writers killed mid-save left next to ``target``.

    Only files older than ``STALE_TEMP_SECONDS`` go: a younger one may be a running save's.
    """
    pattern = f".{glob.escape(target.name)}.{'[0-9a-f]' * 2 * TEMP_TOKEN_BYTES}.tmp"
    cutoff = time.time() - STALE_TEMP_SECONDS
    for temp in target.parent.glob(pattern):
        with contextlib.suppress(OSError):  # removed by another writer meanwhile, or not ours to remove
            if temp.stat().st_mtime < cutoff:
                temp.unlink()


def save(path: str | os.PathLike[str], items: list[Item], hosted: list[HostedTool],
         groups: Sequence[Group] = ()) -> None:
    """Write a registry file atomically (see :func:`write_atomic`).

    Raises:
        RegistryFileError: The file cannot be written (names it and the reason).
    """
    document = to_file(items, hosted, groups)
    try:
        write_atomic(path, document.model_dump_json(by_alias=True, indent=1).encode("utf-8"))
    except OSError as exc:
        raise RegistryFileError(str(path), f"cannot write it: {exc.strerror or exc}") from exc


def load(path: str | os.PathLike[str]) -> tuple[list[Item], list[HostedTool], list[Group]]:
    """Read a registry file.

    Raises:
        RegistryFileError: The file is missing, truncated, not JSON, not a registry document, or
            of a format version this toolrouter does not read.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RegistryFileError(str(path), f"cannot read it: {exc.strerror or exc}") from exc
    try:
        document = RegistryFile.model_validate_json(raw)
    except ValidationError as exc:
        raise RegistryFileError(str(path), _describe(exc)) from None
    return from_file(document)


def _describe(error: ValidationError) -> str:
    """What is wrong with a registry file, in words: broken JSON first, then a foreign or newer document."""
    problems = error.errors()
    first = problems[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON (truncated or corrupted?): {first['msg']}"
    if first["loc"] == ():
        return f"not a toolrouter registry file (the top level is not a JSON object: {first['msg']})"
    header = {problem["loc"][0]: problem for problem in problems if problem["loc"] in (("format",), ("version",))}
    if "format" in header:
        found = "it has no format field" if header["format"]["type"] == "missing" else (
            f"its format is {header['format']['input']!r}")
        return f"not a toolrouter registry file ({found}, expected {FILE_FORMAT!r})"
    if "version" in header:
        version = header["version"].get("input") if header["version"]["type"] != "missing" else None
        if isinstance(version, int) and version > FILE_VERSION:
            return (f"format version {version} is newer than this toolrouter reads ({FILE_VERSION}); "
                    "upgrade toolrouter to load it")
        return f"its format version is {version!r}, expected {FILE_VERSION}"
    where = "/" + "/".join(str(part) for part in first["loc"])
    return f"invalid: {first['msg']} at {where}"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the registry file, as committed in ``schemas/registry.schema.json``."""
    schema = RegistryFile.model_json_schema(by_alias=True)
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "toolrouter registry file"}
