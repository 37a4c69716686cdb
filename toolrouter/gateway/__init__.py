"""MCP gateway: many MCP servers' tools behind one router, served as one MCP server.

::

    toolrouter mcp --config servers.json [--registry tools.json] [--expose 3] [-k 5]

The gateway connects to every server of a ``{"mcpServers": {...}}`` config (stdio or streamable
HTTP), registers their tools as ``server__tool`` in a :class:`~toolrouter.Router`, and offers the
client ``search_tools(query, k)`` and ``call_tool(name, arguments)`` instead of every tool.

:mod:`~toolrouter.gateway.config` needs nothing extra; :class:`Gateway`, :func:`serve_stdio` and
:func:`run` need the ``mcp`` extra (the MCP SDK, version 2) and are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from toolrouter.errors import MissingDependencyError
from toolrouter.gateway.config import (
    GatewayConfig,
    GatewayConfigError,
    HttpServer,
    ServerConfig,
    StdioServer,
    load_config,
    parse_config,
)

if TYPE_CHECKING:
    from toolrouter.gateway.gateway import Gateway
    from toolrouter.gateway.server import build_server, run, serve_stdio

__all__ = [
    "Gateway",
    "GatewayConfig",
    "GatewayConfigError",
    "HttpServer",
    "ServerConfig",
    "StdioServer",
    "build_server",
    "load_config",
    "parse_config",
    "run",
    "serve_stdio",
]

# Public name → the module defining it; these import the MCP SDK.
_LAZY = {
    "Gateway": "toolrouter.gateway.gateway",
    "build_server": "toolrouter.gateway.server",
    "run": "toolrouter.gateway.server",
    "serve_stdio": "toolrouter.gateway.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require_mcp()
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def require_mcp() -> None:
    """Check that the MCP SDK the gateway is written for (version 2) is installed.

    Raises:
        MissingDependencyError: ``mcp`` is missing or older than version 2.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        major = int(version("mcp").split(".")[0])
    except (PackageNotFoundError, ValueError):
        major = 0
    if major < 2:
        raise MissingDependencyError("mcp>=2", "mcp")
