"""The gateway's config: the ``mcpServers`` JSON that MCP clients (Claude Desktop, Cursor ...) share.

::

    {"mcpServers": {
        "mail":     {"command": "python", "args": ["mail_server.py"], "env": {"TOKEN": "..."}},
        "calendar": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ..."}}
    }}

A server with ``command`` is launched and spoken to over stdio; one with ``url`` over streamable
HTTP (``"type"`` may say which; SSE is not supported). ``"disabled": true`` skips a server; other
keys clients add (``autoApprove`` ...) are ignored. VS Code's top-level ``"servers"`` key is read
like ``"mcpServers"``. This module does not import the ``mcp`` package.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolrouter.errors import ToolrouterError
from toolrouter.registry import NAMESPACE_SEPARATOR

# Server names prefix their tools' names (``mail__send_email``), so they keep to the characters every
# LLM API accepts in a tool name, and never hold the separator: a name splits back unambiguously.
SERVER_NAME = re.compile(r"[A-Za-z0-9_-]+")
# ``"type"`` values that mean streamable HTTP (clients spell it differently).
HTTP_TYPES = ("http", "streamable-http", "streamableHttp", "streamable_http")


class GatewayConfigError(ToolrouterError, ValueError):
    """The gateway's config file is unreadable or malformed; the message names the file and server.

    Args:
        source: The config file (or ``<config>`` for a dict).
        problem: What is wrong, in words.
        server: The server entry at fault, when one is. Defaults to None.
    """

    def __init__(self, source: str, problem: str, server: str | None = None) -> None:
        self.source = source
        self.problem = problem
        self.server = server
        where = f"server {server!r}: " if server is not None else ""
        super().__init__(f"MCP gateway config {source}: {where}{problem}")


@dataclass(frozen=True)
class StdioServer:
    """An upstream server the gateway launches and talks to over stdin/stdout."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True)
class HttpServer:
    """An upstream server the gateway reaches over streamable HTTP."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


ServerConfig = StdioServer | HttpServer


@dataclass(frozen=True)
class GatewayConfig:
    """The upstream servers, in config order."""

    servers: tuple[ServerConfig, ...]

    @property
    def names(self) -> list[str]:
        return [server.name for server in self.servers]


def load_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> GatewayConfig:
    """Read a gateway config from a JSON file, or check one given as a dict.

    Raises:
        GatewayConfigError: The file cannot be read or is not JSON, there are no servers, or an
            entry is malformed (names the server and the field).
    """
    if isinstance(source, Mapping):
        return parse_config(source, "<config>")
    where = str(source)
    try:
        document = json.loads(Path(source).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise GatewayConfigError(where, f"cannot read it: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise GatewayConfigError(where, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except ValueError as exc:
        raise GatewayConfigError(where, f"not valid JSON: {exc}") from exc
    except RecursionError:
        raise GatewayConfigError(where, "not valid JSON: it nests too deeply") from None
    return parse_config(document, where)


def parse_config(document: Any, source: str = "<config>") -> GatewayConfig:
    """The :class:`GatewayConfig` of a parsed ``{"mcpServers": {...}}`` document (see :func:`load_config`)."""
    if not isinstance(document, Mapping):
        raise GatewayConfigError(source, f"the top level must be a JSON object, got {_kind(document)}")
    key = "mcpServers" if "mcpServers" in document or "servers" not in document else "servers"
    entries = document.get(key)
    if not isinstance(entries, Mapping):
        found = "it is missing" if entries is None else f"got {_kind(entries)}"
        raise GatewayConfigError(source, f'"{key}" must be an object of named servers ({found})')
    servers = []
    for name, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise GatewayConfigError(source, f"the entry must be an object, got {_kind(entry)}", name)
        if entry.get("disabled") is True:
            continue
        servers.append(_server(str(name), entry, source))
    if not servers:
        raise GatewayConfigError(source, f'no servers to serve: "{key}" has no enabled entry')
    return GatewayConfig(tuple(servers))


def _server(name: str, entry: Mapping[str, Any], source: str) -> ServerConfig:
    def bad(problem: str) -> GatewayConfigError:
        return GatewayConfigError(source, problem, name)

    if not SERVER_NAME.fullmatch(name) or NAMESPACE_SEPARATOR in name:
        raise bad(f"names may hold only letters, digits, '_' and '-', and not {NAMESPACE_SEPARATOR!r} "
                  "(they prefix the tool names)")
    kind = entry.get("type")
    if kind == "sse":
        raise bad("the SSE transport is not supported; give the server's streamable HTTP url (often .../mcp)")
    if kind is not None and kind != "stdio" and kind not in HTTP_TYPES:
        raise bad(f'"type" must be "stdio" or "http", got {kind!r}')
    if "command" in entry and "url" in entry:
        raise bad('give either "command" (stdio) or "url" (HTTP), not both')
    if kind in HTTP_TYPES or (kind is None and "url" in entry):
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad(f'"url" must be an http:// or https:// URL, got {url!r}')
        return HttpServer(name, url, _strings(entry, "headers", bad))
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        found = "it is missing" if command is None else f"got {command!r}"
        raise bad(f'needs "command" (a program to launch over stdio) or "url" (streamable HTTP); {found}')
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        raise bad(f'"args" must be a list of strings, got {args!r}')
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise bad(f'"cwd" must be a string, got {cwd!r}')
    return StdioServer(name, command, tuple(args), _strings(entry, "env", bad), cwd)


def _strings(entry: Mapping[str, Any], key: str, bad: Callable[[str], GatewayConfigError]) -> dict[str, str]:
    """``entry[key]``, an object of string values (``env``, ``headers``); absent is empty.

    Errors name the key at fault but never show values: they are often secrets.
    """
    value = entry.get(key, {})
    if not isinstance(value, Mapping):
        raise bad(f'"{key}" must be an object of string values, got {_kind(value)}')
    for field_name, field_value in value.items():
        if not isinstance(field_value, str):
            raise bad(f'"{key}.{field_name}" must be a string, got {_kind(field_value)}')
    return {str(k): v for k, v in value.items()}


def _kind(value: Any) -> str:
    """A JSON value's kind in words: ``an array``, ``a string`` ..."""
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
