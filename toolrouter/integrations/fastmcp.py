"""FastMCP: a search transform whose ``search_tools`` ranks the server's tools with the router.

FastMCP's search transforms replace a server's tool listing with two tools, ``search_tools`` and
``call_tool``: the client searches with words, gets the best tools' definitions (in the
``tools/list`` format) and runs one through ``call_tool``; hidden tools stay callable.
:class:`ToolrouterSearchTransform` is one of them (a ``BaseSearchTransform``, like FastMCP's own
``BM25SearchTransform`` and ``RegexSearchTransform``) scoring with toolrouter's cross-encoder, so
a search in any of its languages finds tools by meaning, not shared words::

    from fastmcp import FastMCP
    from toolrouter.integrations.fastmcp import ToolrouterSearchTransform

    mcp = FastMCP("Server")
    ...  # many @mcp.tool functions, mounted servers, proxies
    mcp.add_transform(ToolrouterSearchTransform(max_results=5))

Searches see the catalog the client may see (FastMCP's auth, visibility and middleware apply), so
a hidden tool is found only where the client could list it.

Sources: "Tool search" transforms in https://gofastmcp.com/servers/transforms/tool-search
(``BaseSearchTransform`` in ``fastmcp/server/transforms/search/base.py`` of fastmcp 4.2). Needs the
``fastmcp`` extra.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Annotated, Any

from toolrouter.anthropic import SEARCH_K
from toolrouter.errors import MissingDependencyError, SpecError
from toolrouter.integrations._common import check_positive
from toolrouter.proxy.routing import load_request_tool, select_tool_names
from toolrouter.registry import ToolItem
from toolrouter.router import QueryError, Router

try:
    from fastmcp.exceptions import ToolError
    from fastmcp.server.context import Context
    from fastmcp.server.transforms.search.base import BaseSearchTransform, SearchResultSerializer
    from fastmcp.tools.base import Tool
except ImportError as exc:
    raise MissingDependencyError("fastmcp", "fastmcp") from exc

__all__ = ["ToolrouterSearchTransform"]

logger = logging.getLogger("toolrouter.integrations.fastmcp")

SEARCH_TOOL_DESCRIPTION = (
    "Find the tools for a task among this server's tools. Describe the task in words (the user's request, "
    "in any language). Returns the best-matching tools' definitions (name, description, inputSchema), best "
    "first; run one with {call_tool}."
)


class ToolrouterSearchTransform(BaseSearchTransform):
    """Search transform: ``list_tools`` shows ``search_tools`` and ``call_tool``; searches rank with the router.

    ``search_tools(query)`` returns up to ``max_results`` tools, best first (the router's threshold
    may return fewer). Tools are scored on their name, title, description and parameters
    (toolrouter's canonical text of their MCP definition); scoring runs in a worker thread, so the
    server's event loop keeps serving. A tool whose input schema toolrouter cannot read is left out
    of searches (logged), not the whole search.

    Args:
        router: Supplies the reranker and selection settings; the server's tools are scored, not the
            router's registry. Defaults to ``Router()`` (the bundled offline model, loaded on the first search).
        max_results: Most tools one search returns. Defaults to ``toolrouter.anthropic.SEARCH_K`` (5).
        always_visible: Names of tools listed directly beside the two search tools (and left out of
            searches). Defaults to None.
        search_tool_name: The search tool's name. Defaults to "search_tools".
        call_tool_name: The call proxy's name. Defaults to "call_tool".
        search_result_serializer: Renders the found tools; FastMCP's ``serialize_tools_for_output_markdown``
            takes fewer tokens. Defaults to None (``tools/list`` JSON).

    Raises:
        ValueError: ``max_results`` is not a positive integer.
    """

    def __init__(
        self,
        router: Router | None = None,
        *,
        max_results: int = SEARCH_K,
        always_visible: list[str] | None = None,
        search_tool_name: str = "search_tools",
        call_tool_name: str = "call_tool",
        search_result_serializer: SearchResultSerializer | None = None,
    ) -> None:
        check_positive("max_results", max_results)
        super().__init__(max_results=max_results, always_visible=always_visible, search_tool_name=search_tool_name,
                         call_tool_name=call_tool_name, search_result_serializer=search_result_serializer)
        self.router = router if router is not None else Router()

    def _make_search_tool(self) -> Tool:
        transform = self

        async def search_tools(
            query: Annotated[str, "The task, in words (the user's request)."],
            ctx: Context = None,  # type: ignore[assignment]  # FastMCP injects the request context
        ) -> str | list[dict[str, Any]]:
            tools = await transform._get_visible_tools(ctx)
            try:
                found = await transform._search(tools, query)
            except QueryError as exc:
                raise ToolError(f"{transform._search_tool_name} needs 'query', the task in words: {exc}") from exc
            return await transform._render_results(found)

        return Tool.from_function(fn=search_tools, name=self._search_tool_name,
                                  description=SEARCH_TOOL_DESCRIPTION.format(call_tool=self._call_tool_name))

    async def _search(self, tools: Sequence[Tool], query: str) -> Sequence[Tool]:
        """The tools among ``tools`` that best match ``query``, best first.

        Raises:
            QueryError: ``query`` has no visible text.
        """
        return await asyncio.to_thread(self.search, tools, query)

    def search(self, tools: Sequence[Tool], query: str) -> list[Tool]:
        """The blocking search behind ``search_tools`` (see the class docstring).

        Raises:
            QueryError: ``query`` has no visible text.
        """
        by_name: dict[str, Tool] = {}
        items: list[ToolItem] = []
        for tool in tools:
            spec = tool.to_mcp_tool().model_dump(mode="json", by_alias=True, exclude_none=True)
            try:
                item = load_request_tool(spec, f"tool {tool.name!r}")
            except SpecError as exc:
                logger.warning("tool %r left out of searches: %s", tool.name, exc)
                continue
            if isinstance(item, ToolItem) and item.name not in by_name:
                by_name[item.name] = tool
                items.append(item)
        names = select_tool_names(items, query, self.router, self._max_results)
        return [by_name[name] for name in names]
