"""The gateway's core: upstream sessions, their tools in one router, search and call forwarding.

Each upstream tool is registered as ``server__tool`` (the registry's namespacing); server names
never hold ``__``, so :func:`split_name` maps a name back to its server and original name.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from mcp import types

from toolrouter import __version__
from toolrouter.errors import RegistryFileError, ToolrouterError
from toolrouter.gateway.config import GatewayConfig, ServerConfig
from toolrouter.gateway.upstream import Upstream, connect, describe
from toolrouter.registry import NAMESPACE_SEPARATOR, Registry
from toolrouter.router import Router

logger = logging.getLogger("toolrouter.gateway")

# Tools search_tools returns when the model does not say, and the most it may ask for.
DEFAULT_K = 5
MAX_SEARCH_K = 50
# Seconds an upstream may take to start, hand-shake and list its tools; slower ones are left out.
CONNECT_TIMEOUT = 30.0
# Seconds a forwarded tool call may take before the model gets an error result.
CALL_TIMEOUT = 300.0
# How the gateway introduces itself to upstream servers.
CLIENT_INFO = types.Implementation(name="toolrouter-gateway", version=__version__)


def split_name(name: str) -> tuple[str, str]:
    """``("mail", "send_email")`` for ``"mail__send_email"``: the owning server and the tool's own name."""
    server, _, tool = name.partition(NAMESPACE_SEPARATOR)
    return server, tool


def error_result(message: str) -> types.CallToolResult:
    """A tool result the model reads as a failure (``isError``), with ``message`` as its text."""
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


class Gateway:
    """Several MCP servers' tools behind one :class:`~toolrouter.Router`.

    Entering the gateway (``async with``) connects to every upstream at once, registers their tools
    in ``router`` as ``server__tool``, and keeps the sessions open until it exits. An upstream that
    cannot be launched or reached is logged and left out; with ``registry``, its tools saved by an
    earlier run stay searchable (calling them gives an error result).

    Args:
        config: The upstream servers (see :func:`~toolrouter.gateway.load_config`).
        router: Routes the upstream tools; its registry should start empty. Defaults to a
            :class:`~toolrouter.Router` on the bundled model.
        k: Tools :meth:`search` returns when not told. Defaults to ``DEFAULT_K`` (5).
        expose: After each search, its top ``expose`` tools become :attr:`exposed` (listed
            directly by the MCP server); 0 exposes none. Defaults to 0.
        registry: Registry file: read at start (tools of unreachable servers), written after
            discovery. Defaults to None.
        connect_timeout: Seconds each upstream may take to start and list its tools.
            Defaults to ``CONNECT_TIMEOUT`` (30).
        call_timeout: Seconds a forwarded call may take. Defaults to ``CALL_TIMEOUT`` (300).

    Example::

        async with Gateway(load_config("servers.json")) as gateway:
            names = await gateway.search("email Bob the minutes")
            result = await gateway.call(names[0], {"to": "bob@example.com"})
    """

    def __init__(
        self,
        config: GatewayConfig,
        router: Router | None = None,
        *,
        k: int = DEFAULT_K,
        expose: int = 0,
        registry: str | os.PathLike[str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
    ) -> None:
        if not 1 <= k <= MAX_SEARCH_K:
            raise ValueError(f"k must be between 1 and {MAX_SEARCH_K}, got {k}")
        if expose < 0:
            raise ValueError(f"expose must be >= 0, got {expose}")
        self.config = config
        self.router = router if router is not None else Router()
        self.k = k
        self.expose = expose
        self.registry_path = registry
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.exposed: tuple[str, ...] = ()
        self.failures: dict[str, str] = {}  # server → why it is not connected
        self._upstreams: dict[str, Upstream] = {}
        self._stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        return f"Gateway(servers={self.config.names!r}, connected={self.connected!r})"

    @property
    def connected(self) -> list[str]:
        """The servers with a live session, in config order."""
        return [name for name in self.config.names if name in self._upstreams]

    async def __aenter__(self) -> Gateway:
        saved = self._load_saved()
        self._closing = anyio.Event()
        # One routing at a time: the reranker runs in a worker thread and is not meant for concurrent use.
        self._routing = anyio.CapacityLimiter(1)
        stack = AsyncExitStack()
        group = await stack.enter_async_context(anyio.create_task_group())
        try:
            settled = []
            for server in self.config.servers:
                settled.append(anyio.Event())
                group.start_soon(self._hold, server, settled[-1])
            for event in settled:
                await event.wait()
            self._register(saved)
            await anyio.to_thread.run_sync(partial(self.router.embed, "tool", False))
            self._save()
        except BaseException:
            self._closing.set()
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self._closing.set()
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.__aexit__(exc_type, exc, traceback)

    async def _hold(self, server: ServerConfig, settled: anyio.Event) -> None:
        """Keep one upstream connected until the gateway closes. Never raises: a failing upstream
        is logged and left out, so the others are served."""
        try:
            async with connect(server, self.connect_timeout, CLIENT_INFO) as upstream:
                self._upstreams[server.name] = upstream
                logger.info("MCP server %r: %d tools", server.name, len(upstream.tools))
                settled.set()
                await self._closing.wait()
        except Exception as exc:  # any failure of one upstream is that upstream's alone
            self.failures[server.name] = describe(exc)
            state = "disconnected" if server.name in self._upstreams else "left out"
            logger.warning("MCP server %r %s: %s", server.name, state, self.failures[server.name])
        finally:
            self._upstreams.pop(server.name, None)
            settled.set()

    def _load_saved(self) -> Registry | None:
        """The registry file of an earlier run, if there is one (a corrupt file raises)."""
        if self.registry_path is None or not Path(self.registry_path).exists():
            return None
        return Registry.load(self.registry_path)

    def _register(self, saved: Registry | None) -> None:
        """Put the live servers' tools in the router, and the saved tools of the unreachable ones."""
        registry = self.router.registry
        for server in self.config.servers:
            upstream = self._upstreams.get(server.name)
            if upstream is None:
                known = [t for t in (saved.tools if saved else []) if split_name(t.name)[0] == server.name]
                registry.add(known, replace=True)
                if known:
                    logger.info("MCP server %r: %d tools known from %s", server.name, len(known), self.registry_path)
                continue
            for tool in upstream.tools:
                try:
                    registry.add_tools(tool.model_dump(by_alias=True, mode="json", exclude_none=True),
                                       namespace=server.name, group_description=upstream.description or None,
                                       replace=True)
                except ToolrouterError as exc:
                    logger.warning("MCP server %r: tool %r left out: %s", server.name, tool.name, exc)

    def _save(self) -> None:
        if self.registry_path is None:
            return
        try:
            self.router.save(self.registry_path)
        except RegistryFileError as exc:  # the gateway still serves; only the next start loses the cache
            logger.error("%s", exc)

    def definition(self, name: str) -> dict[str, Any]:
        """The MCP tool definition of a registered tool as its server listed it, under its namespaced ``name``."""
        spec = self.router.registry[name].spec
        return {**(spec if isinstance(spec, dict) else {}), "name": name}

    async def search(self, query: str, k: int | None = None) -> list[str]:
        """The names of the ``k`` tools that best match ``query``, best first; they become
        :attr:`exposed` (their top ``expose``) when exposing.

        Raises:
            QueryError: ``query`` has no visible text.
            RuntimeError: The gateway was not entered (``async with``).
        """
        if self._stack is None:
            raise RuntimeError("search inside 'async with Gateway(...) as gateway:'")
        count = self.k if k is None else min(max(k, 1), MAX_SEARCH_K)
        selections = await anyio.to_thread.run_sync(
            partial(self.router.select_tools, query, k=count), limiter=self._routing)
        names = [selection.name for selection in selections]
        if self.expose:
            self.exposed = tuple(names[: self.expose])
        return names

    def resolve(self, name: str) -> str:
        """The registered name ``name`` means: itself, or the one ``server__name`` when unambiguous.

        Raises:
            LookupError: No such tool, or several servers have it (the message lists them).
        """
        registry = self.router.registry
        if name in registry:
            return name
        owners = [full for full in registry if split_name(full)[1] == name]
        if len(owners) == 1:
            return owners[0]
        if owners:
            raise LookupError(f"tool name {name!r} is ambiguous: {', '.join(owners)}; call one of these full names")
        close = difflib.get_close_matches(name, list(registry), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise LookupError(f"unknown tool {name!r}.{hint} Use search_tools to find tools "
                          "(their names look like 'server__tool').")

    async def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> types.CallToolResult:
        """Run tool ``name`` (namespaced, or short when unambiguous) on the server that owns it.

        Returns the server's result as it is. An unknown tool, an unreachable server or a failed
        call comes back as an error result (``is_error``) saying what happened; this never raises.
        """
        try:
            full = self.resolve(name)
        except LookupError as exc:
            return error_result(str(exc))
        server, tool = split_name(full)
        upstream = self._upstreams.get(server)
        if upstream is None:
            why = self.failures.get(server, "it is not connected")
            return error_result(f"tool {full!r} is unavailable: MCP server {server!r} is not connected "
                                f"({why}). Try another tool.")
        try:
            return await upstream.session.call_tool(tool, dict(arguments or {}),
                                                    read_timeout_seconds=self.call_timeout)
        except Exception as exc:  # the model gets the failure as a result to act on
            return error_result(f"MCP server {server!r} failed to run tool {tool!r}: {describe(exc)}")
