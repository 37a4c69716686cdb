"""One upstream MCP server: launch or reach it, hand-shake, list its tools, keep the session.

Uses the ``mcp`` SDK's client (``ClientSession`` over ``stdio_client`` or ``streamable_http_client``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

import anyio
import httpx2
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.client.streamable_http import streamable_http_client

from toolrouter.gateway.config import HttpServer, ServerConfig

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

# Pages of ``tools/list`` read from one server; a server whose cursor never ends stops here.
MAX_TOOL_PAGES = 100
# HTTP upstreams: seconds to connect and write; reads may wait this long (a server can stream slowly).
HTTP_TIMEOUT = 30.0
HTTP_READ_TIMEOUT = 300.0
# Characters of a server's instructions kept as the description of its tools' group.
MAX_DESCRIPTION_CHARS = 500


@dataclass(frozen=True)
class Upstream:
    """A connected upstream server: its config, its live session, the tools it listed and what it
    says it is for (its ``instructions``, else its title; may be empty)."""

    config: ServerConfig
    session: ClientSession
    tools: tuple[types.Tool, ...]
    description: str = ""

    @property
    def name(self) -> str:
        return self.config.name


@asynccontextmanager
async def connect(config: ServerConfig, timeout: float, client_info: types.Implementation) -> AsyncIterator[Upstream]:
    """Connect to ``config``'s server and list its tools; the session lives as long as the context.

    Args:
        config: The server.
        timeout: Seconds the handshake and the tool listing may take together.
        client_info: How the gateway introduces itself to the server.

    Raises:
        OSError: A stdio server's command cannot be launched.
        TimeoutError: The server did not answer within ``timeout``.
        Exception: Whatever the SDK raises for a server that breaks the protocol or hangs up
            (``mcp.MCPError`` ...); the caller treats every failure alike.
    """
    async with AsyncExitStack() as stack:
        if isinstance(config, HttpServer):
            http = await stack.enter_async_context(httpx2.AsyncClient(
                headers=dict(config.headers), timeout=httpx2.Timeout(HTTP_TIMEOUT, read=HTTP_READ_TIMEOUT)))
            read, write = await stack.enter_async_context(streamable_http_client(config.url, http_client=http))
        else:
            params = StdioServerParameters(command=config.command, args=list(config.args),
                                           env=dict(config.env) or None, cwd=config.cwd)
            read, write = await stack.enter_async_context(stdio_client(params, errlog=_errlog()))
        session = await stack.enter_async_context(ClientSession(read, write, client_info=client_info))
        with anyio.fail_after(timeout):
            initialized = await session.initialize()
            tools = await list_tools(session)
        about = initialized.instructions or initialized.server_info.title or ""
        yield Upstream(config, session, tools, " ".join(about.split())[:MAX_DESCRIPTION_CHARS])


async def list_tools(session: ClientSession) -> tuple[types.Tool, ...]:
    """All the tools a server lists, following its pagination cursor (up to ``MAX_TOOL_PAGES`` pages)."""
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tuple(tools)


def _errlog() -> TextIO:
    """Where stdio servers' stderr goes: the gateway's, so their logs reach the operator, never the
    MCP client; the process's original stderr when ``sys.stderr`` has no file descriptor (notebooks,
    captured output), as a subprocess needs one."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return sys.__stderr__ or sys.stderr
    return sys.stderr


def describe(error: BaseException) -> str:
    """A one-line account of why an upstream failed, for logs and for the model's error results.

    Exception groups (anyio task groups wrap failures in them) are opened to their first leaf.
    """
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, TimeoutError):
        return "it did not answer in time"
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
