"""OpenAI Agents SDK: an MCP tool filter keeping each server's best tools, and a client tool-search handler.

:class:`ToolrouterToolFilter` is a dynamic MCP ``tool_filter``, the SDK's
``(ToolFilterContext, MCPTool) -> bool`` callable: each time the agent lists a server's tools, it
routes the run's latest user input over that server's tools and lets the ``k`` best through::

    from agents import Agent
    from agents.mcp import MCPServerStdio
    from toolrouter.integrations.openai_agents import ToolrouterToolFilter

    server = MCPServerStdio(params={"command": "npx", "args": [...]}, tool_filter=ToolrouterToolFilter(k=5))
    agent = Agent(name="assistant", mcp_servers=[server])

Tool search: the Responses API lets the model load tools sent with ``defer_loading: true`` through
a ``tool_search`` tool, run by OpenAI or, with ``execution: "client"``, by the application, which
answers each ``tool_search_call`` item with a ``tool_search_output`` item holding the loaded tools'
definitions. The SDK has the tool (``ToolSearchTool(execution="client")``, :func:`search_tool`
here), but its ``Runner`` refuses client-executed calls ("Handle the tool_search_call yourself"),
so client search works only where the application calls the model itself (the SDK's
``OpenAIResponsesModel.get_response`` or the ``openai`` client): answer each call with
:func:`answer_tool_search`.

Sources: "Tool filtering" in https://openai.github.io/openai-agents-python/mcp/ (``ToolFilterContext``
in ``agents/mcp/util.py`` of openai-agents 0.24) and "Tool search" in
https://developers.openai.com/api/docs/guides/tools-tool-search (``ToolSearchTool`` in ``agents/tool.py``;
``ResponseToolSearchCall`` and ``ResponseToolSearchOutputItemParamParam`` in ``openai.types.responses``).
Needs the ``openai-agents`` extra.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from toolrouter.anthropic import SEARCH_K
from toolrouter.conversation import called_tools, routing_query
from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import check_positive
from toolrouter.proxy import DEFAULT_K
from toolrouter.proxy.routing import load_request_tool, select_tool_names
from toolrouter.registry import ToolItem
from toolrouter.router import QueryError, Router

try:
    from agents import FunctionTool, ToolSearchTool
    from agents.mcp import MCPServer, ToolFilterContext
    from mcp.types import PaginatedRequestParams
    from mcp.types import Tool as MCPTool
except ImportError as exc:
    raise MissingDependencyError("agents", "openai-agents") from exc

__all__ = ["SEARCH_TOOL_DESCRIPTION", "SEARCH_TOOL_PARAMETERS", "ToolrouterToolFilter", "answer_tool_search",
           "search_tool"]

logger = logging.getLogger("toolrouter.integrations.openai_agents")

# Pages of tools/list the filter reads from one server (the gateway's limit).
MAX_TOOL_PAGES = 100
SEARCH_TOOL_DESCRIPTION = (
    "Search the catalog of tools that are not loaded yet. Describe the capability you need in plain words "
    "(for example 'convert an amount between currencies'); the best matching tools are loaded and can be "
    "called right after this search."
)
# The arguments the model sends to the client-executed search tool.
SEARCH_TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "The capability the needed tool provides."}},
    "required": ["query"],
    "additionalProperties": False,
}


class ToolrouterToolFilter:
    """MCP ``tool_filter``: lets through the ``k`` tools of a server the run's request needs.

    The SDK calls the filter once per tool whenever it lists a server's tools (each turn, unless the
    server caches its list); the first call of a listing routes all of that server's tools at once
    and the rest reuse the result. The query is the latest user message of the run's input
    (``ToolFilterContext.run_context.turn_input``, with :func:`toolrouter.conversation.routing_query`'s
    rules); tools called earlier in that input and tools named in ``always_include`` are kept on top
    of the ``k`` ranked ones. A server with no more than ``k`` tools, or a run without user text,
    keeps all its tools.

    The filter reads the server's whole list through its MCP session (``server.session.list_tools()``),
    and reads it again when a tool it is shown is missing from, or differs from, the list it holds;
    a tool the server removed may hold a place among the ``k`` until then. One filter may serve
    several servers. When routing fails (an unreachable session, a broken model ...), every tool is
    let through and a warning is logged: the SDK would otherwise drop each tool whose filter raised.

    Args:
        router: Supplies the reranker and selection settings; the server's tools are scored, not the
            router's registry. Defaults to ``Router()`` (the bundled offline model).
        k: Ranked tools let through per server. Defaults to ``toolrouter.proxy.DEFAULT_K`` (8).
        always_include: Tool names always let through (on any server that has them). Defaults to ().

    Raises:
        ValueError: ``k`` is not a positive integer, or ``always_include`` is a string.
    """

    def __init__(self, router: Router | None = None, *, k: int = DEFAULT_K, always_include: Sequence[str] = ()) -> None:
        check_positive("k", k)
        if isinstance(always_include, str):
            raise ValueError(f"always_include must be a sequence of tool names, got the string {always_include!r}")
        self.router = router if router is not None else Router()
        self.k = k
        self.always_include = tuple(always_include)
        # Per listing (its ToolFilterContext, by id while it lives): the names let through (None: all)
        # and whether routing failed (then it is not retried within the listing).
        self._listings: dict[int, tuple[frozenset[str] | None, bool]] = {}
        # Per server: its tools by name, as last read.
        self._catalogs: weakref.WeakKeyDictionary[MCPServer, dict[str, MCPTool]] = weakref.WeakKeyDictionary()

    async def __call__(self, context: ToolFilterContext, tool: MCPTool) -> bool:
        """Whether ``tool`` is let through in this listing: the callable the SDK's ``tool_filter`` takes."""
        key = id(context)
        if key not in self._listings:
            weakref.finalize(context, self._listings.pop, key, None)
            self._listings[key] = await self._route(context, tool)
        elif not self._listings[key][1] and not self._knows(context, tool):  # a tool added since the last read
            self._listings[key] = await self._route(context, tool)
        kept = self._listings[key][0]
        return kept is None or tool.name in kept

    def _knows(self, context: ToolFilterContext, tool: MCPTool) -> bool:
        server = self._server(context)
        catalog = self._catalogs.get(server) if server is not None else None
        return catalog is not None and catalog.get(tool.name) == tool

    def _server(self, context: ToolFilterContext) -> MCPServer | None:
        """The agent's server being listed: by name, the one using this filter first."""
        servers = [s for s in getattr(context.agent, "mcp_servers", []) if s.name == context.server_name]
        return next((s for s in servers if getattr(s, "tool_filter", None) is self), servers[0] if servers else None)

    async def _route(self, context: ToolFilterContext, tool: MCPTool) -> tuple[frozenset[str] | None, bool]:
        """The names to let through in this listing (None: every tool), and whether routing failed."""
        try:
            server = self._server(context)
            if server is None:
                raise LookupError(f"agent {context.agent.name!r} has no MCP server named {context.server_name!r}")
            catalog = self._catalogs.get(server)
            if catalog is None or catalog.get(tool.name) != tool:
                catalog = {listed.name: listed for listed in await list_all_tools(server)}
                self._catalogs[server] = catalog
            if len(catalog) <= self.k:
                return None, False
            turn = context.run_context.turn_input
            query = routing_query(turn)
            if not query.strip():
                return None, False
            items = mcp_items(catalog.values())
            names = await asyncio.to_thread(select_tool_names, items, query, self.router, self.k,
                                            always=self.always_include, called=called_tools(turn))
            return frozenset(names), False
        except Exception as exc:
            logger.warning("routing %r's tools failed, letting all through: %s: %s", context.server_name,
                           type(exc).__name__, exc)
            return None, True


async def list_all_tools(server: MCPServer) -> list[MCPTool]:
    """Every tool the server's MCP session lists, all pages, unfiltered.

    Raises:
        RuntimeError: The server has no connected session (call ``connect()`` or use ``async with``).
    """
    session = getattr(server, "session", None)
    if session is None:
        raise RuntimeError(f"MCP server {server.name!r} has no connected session")
    tools: list[MCPTool] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        result = await (session.list_tools() if cursor is None
                        else session.list_tools(params=PaginatedRequestParams(cursor=cursor)))
        tools += result.tools
        cursor = getattr(result, "next_cursor", None) or getattr(result, "nextCursor", None)
        if not cursor:
            break
    return tools


def mcp_items(tools: Iterable[MCPTool]) -> list[ToolItem]:
    """MCP tools as routable items (their ``tools/list`` JSON: name, title, description, inputSchema)."""
    specs = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    items = [load_request_tool(spec, f"tool {spec.get('name')!r}") for spec in specs]
    return [item for item in items if isinstance(item, ToolItem)]


def search_tool(description: str = SEARCH_TOOL_DESCRIPTION) -> ToolSearchTool:
    """The client-executed ``tool_search`` tool: ``ToolSearchTool(execution="client")`` taking ``{"query"}``.

    Send it with the deferred tools (``function_tool(..., defer_loading=True)`` or
    ``"defer_loading": True``) and answer its calls with :func:`answer_tool_search`.

    Args:
        description: What the model is told the search does. Defaults to ``SEARCH_TOOL_DESCRIPTION``.
    """
    return ToolSearchTool(description=description, execution="client", parameters=SEARCH_TOOL_PARAMETERS)


def answer_tool_search(call: Any, tools: Iterable[Any], router: Router | None = None,
                       k: int = SEARCH_K) -> dict[str, Any]:
    """The ``tool_search_output`` item answering a client-executed ``tool_search_call``.

    ::

        {"type": "tool_search_output", "execution": "client", "status": "completed",
         "call_id": "call_...", "tools": [{"type": "function", "name": "get_weather", ...}]}

    Args:
        call: The model's ``tool_search_call``: an ``openai`` ``ResponseToolSearchCall``, the SDK's
            ``ToolSearchCallItem`` or a dict. Its arguments hold ``query`` (:data:`SEARCH_TOOL_PARAMETERS`)
            or ``queries``, a list of strings (joined).
        tools: The tools the search may load: the SDK's ``FunctionTool`` objects (converted the way the
            SDK sends them) or Responses tool dicts (returned as given), so the loaded definitions
            match the request's ``tools`` entries. Function tools only; other entries (namespaces,
            hosted tools) are skipped.
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Most tools loaded per search (the router's threshold may load fewer). Defaults to ``SEARCH_K`` (5).

    Raises:
        ValueError: ``k`` is not a positive integer, or ``call`` is not a ``tool_search_call``.
        QueryError: The call's arguments hold no query text.
        SpecError: A tool's definition is malformed (the message names its position, ``tools[3]``).
    """
    check_positive("k", k)
    raw = getattr(call, "raw_item", call)  # the SDK's run item wraps the API item
    fields = raw.model_dump() if callable(getattr(raw, "model_dump", None)) else raw
    if not isinstance(fields, Mapping) or fields.get("type") != "tool_search_call":
        raise ValueError(f"call must be a tool_search_call item, got {type(raw).__name__} "
                         f"{fields.get('type') if isinstance(fields, Mapping) else ''!r}".rstrip())
    query = search_query(fields.get("arguments"))
    specs = [function_spec(tool) for tool in tools]
    candidates = [(spec, load_request_tool(spec, f"tools[{i}]")) for i, spec in enumerate(specs) if spec is not None]
    by_name = {item.name: spec for spec, item in candidates if isinstance(item, ToolItem)}
    items = [item for _, item in candidates if isinstance(item, ToolItem)]
    names = select_tool_names(items, query, router if router is not None else Router(), k)
    return {"type": "tool_search_output", "execution": "client", "status": "completed",
            "call_id": fields.get("call_id"), "tools": [by_name[name] for name in names]}


def search_query(arguments: Any) -> str:
    """The text a ``tool_search_call``'s arguments search for: ``query``, or the ``queries`` joined.

    Raises:
        QueryError: The arguments (a dict or its JSON text) hold no ``query`` or ``queries`` text.
    """
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            arguments = {"query": arguments}
    if isinstance(arguments, Mapping):
        query, queries = arguments.get("query"), arguments.get("queries")
        if isinstance(query, str) and query.strip():
            return query
        if isinstance(queries, list):
            text = "\n".join(q for q in queries if isinstance(q, str) and q.strip())
            if text:
                return text
    raise QueryError(f"the tool_search_call's arguments hold no query text: {arguments!r}")


def function_spec(tool: Any) -> dict[str, Any] | None:
    """A searchable tool's Responses definition; None for tools that are not functions."""
    if isinstance(tool, FunctionTool):  # the fields (and their order) of the SDK's own Responses conversion
        spec: dict[str, Any] = {"name": tool.name, "parameters": tool.params_json_schema,
                                "strict": tool.strict_json_schema, "type": "function", "description": tool.description}
        if tool.defer_loading:
            spec["defer_loading"] = True
        for key, value in (("allowed_callers", getattr(tool, "allowed_callers", None)),
                           ("output_schema", getattr(tool, "output_json_schema", None))):
            if value is not None:
                spec[key] = value
        return spec
    if isinstance(tool, Mapping) and tool.get("type") == "function":
        return dict(tool)
    return None
