"""The gateway as an MCP server: ``search_tools`` and ``call_tool``, plus the exposed tools, over stdio.

The model sees two tools instead of hundreds: it searches with the task in words, gets the best
tools' definitions, and runs one through ``call_tool``. With ``expose``, the last search's top
tools are also listed directly (the client is told with ``notifications/tools/list_changed``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import anyio
from mcp import types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.stdio import stdio_server
from pydantic import ValidationError

from toolrouter import __version__
from toolrouter.errors import ToolrouterError
from toolrouter.gateway.config import GatewayConfig
from toolrouter.gateway.gateway import DEFAULT_K, MAX_SEARCH_K, Gateway, error_result, logger, split_name
from toolrouter.router import Router

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

SEARCH_TOOL = "search_tools"
CALL_TOOL = "call_tool"
INSTRUCTIONS = (f"The tools of several MCP servers, behind a router. Call {SEARCH_TOOL} with the task in words "
                f"to get the best tools' definitions, then {CALL_TOOL} with one's name and arguments.")


def meta_tools(gateway: Gateway) -> list[types.Tool]:
    """``search_tools`` and ``call_tool``; their descriptions name the servers and count the tools."""
    tools = gateway.router.registry.tools
    owners = {split_name(tool.name)[0] for tool in tools}
    servers = ", ".join(name for name in gateway.config.names if name in owners) or "(none reachable)"
    count = len(tools)
    search = types.Tool(
        name=SEARCH_TOOL,
        description=(f"Find the tools for a task among {count} tools of the MCP servers {servers}. "
                     "Returns the best-matching tools' definitions (name, description, inputSchema) as JSON, "
                     f"best first; run one with {CALL_TOOL}."),
        input_schema={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "The task, in words (the user's request)."},
                "k": {"type": "integer", "minimum": 1, "maximum": MAX_SEARCH_K, "default": gateway.k,
                      "description": "How many tools to return."},
            },
            "required": ["query"],
        },
        annotations=types.ToolAnnotations(read_only_hint=True),
    )
    call = types.Tool(
        name=CALL_TOOL,
        description=(f"Run a tool found with {SEARCH_TOOL}: give its name as {SEARCH_TOOL} returned it "
                     "('server__tool') and arguments matching its inputSchema. Returns the tool's result."),
        input_schema={
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "The tool's name."},
                "arguments": {"type": "object", "description": "The tool's arguments."},
            },
            "required": ["name"],
        },
    )
    return [search, call]


def exposed_tools(gateway: Gateway) -> list[types.Tool]:
    """The exposed tools' full definitions, under their namespaced names."""
    tools = []
    for name in gateway.exposed:
        try:
            tools.append(types.Tool.model_validate(gateway.definition(name)))
        except ValidationError as exc:  # a saved definition this SDK no longer reads: list the rest
            logger.warning("tool %r not listed: %s", name, exc.errors()[0]["msg"])
    return tools


def summary(gateway: Gateway, name: str) -> dict[str, Any]:
    """What ``search_tools`` returns per tool: its name, description and inputSchema."""
    definition = gateway.definition(name)
    return {"name": name, "description": definition.get("description", ""),
            "inputSchema": definition.get("inputSchema", {"type": "object"})}


async def search_result(gateway: Gateway, arguments: dict[str, Any],
                        tools_changed: Callable[[], Awaitable[None]]) -> types.CallToolResult:
    """Run ``search_tools``; ``tools_changed`` (awaited) tells the client when the exposed tools changed."""
    query, k = arguments.get("query"), arguments.get("k")
    if not isinstance(query, str):
        return error_result(f"{SEARCH_TOOL} needs 'query', the task in words (a string)")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool)):
        return error_result(f"{SEARCH_TOOL}: 'k' must be an integer from 1 to {MAX_SEARCH_K}, got {k!r}")
    before = gateway.exposed
    try:
        names = await gateway.search(query, k)
    except ToolrouterError as exc:
        return error_result(f"{SEARCH_TOOL} failed: {exc}")
    if gateway.exposed != before:
        await tools_changed()
    text = json.dumps([summary(gateway, name) for name in names], ensure_ascii=False)  # compact: fewer tokens
    return types.CallToolResult(content=[types.TextContent(text=text)])


def build_server(gateway: Gateway) -> Server[Any]:
    """The low-level MCP server answering ``tools/list`` and ``tools/call`` for ``gateway``."""

    async def list_tools(ctx: ServerRequestContext[Any],
                         params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[*meta_tools(gateway), *exposed_tools(gateway)])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        if params.name == SEARCH_TOOL:
            return await search_result(gateway, arguments, ctx.session.send_tool_list_changed)
        if params.name == CALL_TOOL:
            name, forwarded = arguments.get("name"), arguments.get("arguments")
            if not isinstance(name, str) or not name:
                return error_result(f"{CALL_TOOL} needs 'name', a tool name from {SEARCH_TOOL}")
            if forwarded is not None and not isinstance(forwarded, dict):
                return error_result(f"{CALL_TOOL}: 'arguments' must be an object, got {type(forwarded).__name__}")
            return await gateway.call(name, forwarded)
        return await gateway.call(params.name, arguments)  # an exposed tool, called directly

    return Server("toolrouter-gateway", version=__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(
    config: GatewayConfig,
    router: Router | None = None,
    *,
    k: int = DEFAULT_K,
    expose: int = 0,
    registry: str | os.PathLike[str] | None = None,
) -> None:
    """Serve the gateway on this process's stdin/stdout until the client closes them.

    Args and defaults as :class:`Gateway`'s. The stdio transport is opened first, so that nothing
    printed while the upstreams start (a model's warnings ...) can reach the client's stream.
    """
    gateway = Gateway(config, router, k=k, expose=expose, registry=registry)
    async with stdio_server() as (read, write), gateway:
        server = build_server(gateway)
        options = server.create_initialization_options(NotificationOptions(tools_changed=expose > 0))
        await server.run(read, write, options)


def run(
    config: GatewayConfig,
    router: Router | None = None,
    *,
    k: int = DEFAULT_K,
    expose: int = 0,
    registry: str | os.PathLike[str] | None = None,
) -> None:
    """Blocking :func:`serve_stdio`: what ``toolrouter mcp`` runs. Logs go to stderr."""
    if not logging.getLogger().handlers:  # the host application's logging setup wins
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("toolrouter mcp: %(message)s"))
        handler.setLevel(logging.INFO)  # bm25s sets its own logger to DEBUG; its chatter stays out
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        logger.setLevel(logging.INFO)
    try:
        anyio.run(partial(serve_stdio, config, router, k=k, expose=expose, registry=registry))
    except BaseExceptionGroup as group:  # the stdio transport's task group wraps what the gateway raised
        error: BaseException = group
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        raise error from None
