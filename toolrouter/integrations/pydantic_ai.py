"""Pydantic AI: a tool-search strategy ranking deferred tools with the router, and a per-step tool selector.

Pydantic AI hides tools marked ``defer_loading=True`` (or picked by ``ToolSearch(tools=...)``) until
the model finds them with a search; the :class:`~pydantic_ai.capabilities.ToolSearch` capability
takes the search algorithm as its ``strategy``: a callable ``(ctx, queries, tools) -> names``, run
locally as the ``search_tools`` function tool, or through the provider's client-executed tool
search where there is one (Anthropic ``tool_reference`` blocks, OpenAI ``execution='client'``).
:class:`ToolrouterSearch` is such a strategy, scoring with the router's cross-encoder instead of
keyword overlap; :func:`tool_search` builds the capability::

    from pydantic_ai import Agent
    from toolrouter.integrations.pydantic_ai import tool_search

    agent = Agent("openai-responses:gpt-5.4", tools=many_functions, capabilities=[tool_search(tools="all", k=5)])

:class:`ToolrouterToolSelector` routes without a search round-trip: a ``prepare_tools`` function
(:class:`~pydantic_ai.capabilities.PrepareTools`) that keeps, on every step, the ``k`` tools the
latest user request needs::

    from pydantic_ai.capabilities import PrepareTools
    from toolrouter.integrations.pydantic_ai import ToolrouterToolSelector

    agent = Agent(model, tools=many_functions, capabilities=[PrepareTools(ToolrouterToolSelector(k=5))])

Sources: the ``ToolSearch`` and ``PrepareTools`` capabilities,
https://pydantic.dev/docs/ai/api/pydantic-ai/capabilities/ (``ToolSearchFunc`` in
``pydantic_ai/native_tools/_tool_search.py``, ``ToolsPrepareFunc`` in ``pydantic_ai/tools.py`` of
pydantic-ai-slim 2.78). Needs the ``pydantic-ai`` extra.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
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
    from pydantic_ai import RunContext
    from pydantic_ai.capabilities import ToolSearch
    from pydantic_ai.messages import (
        BaseToolCallPart,
        BaseToolReturnPart,
        ModelMessage,
        ModelRequest,
        ModelResponse,
        RetryPromptPart,
        UserPromptPart,
    )
    from pydantic_ai.tools import ToolDefinition, ToolSelector
except ImportError as exc:
    raise MissingDependencyError("pydantic_ai", "pydantic-ai") from exc

__all__ = ["ToolrouterSearch", "ToolrouterToolSelector", "tool_search"]

logger = logging.getLogger("toolrouter.integrations.pydantic_ai")


class ToolrouterSearch:
    """A ``ToolSearch`` strategy: the deferred tools that best match the model's search queries.

    Called by Pydantic AI as ``strategy(ctx, queries, tools)`` with the searchable deferred tools'
    definitions; returns up to ``k`` tool names, best first. Each query is ranked on its own (the
    model sends several for several needs, e.g. ``["weather forecast", "convert currency"]``) and
    the rankings are interleaved, so every query's best tool is among the first results. Tools the
    run already discovered come after fresh matches, as in Pydantic AI's own keyword search, so a
    repeated search surfaces new tools. Scoring runs in a worker thread, off the event loop.

    Args:
        router: Supplies the reranker and selection settings (first stage, threshold); the deferred
            tools are scored, not the router's registry. Defaults to ``Router()`` (the bundled model).
        k: Most tool names returned per search (``ToolSearch(max_results=...)`` also caps them).
            Defaults to ``toolrouter.anthropic.SEARCH_K`` (5).

    Raises:
        ValueError: ``k`` is not a positive integer.
    """

    def __init__(self, router: Router | None = None, *, k: int = SEARCH_K) -> None:
        check_positive("k", k)
        self.router = router if router is not None else Router()
        self.k = k

    async def __call__(self, ctx: RunContext[Any], queries: Sequence[str],
                       tools: Sequence[ToolDefinition]) -> list[str]:
        """The names of the best tools for ``queries``: the ``ToolSearchFunc`` Pydantic AI calls."""
        return await asyncio.to_thread(self.search, queries, tools, discovered=ctx.discovered_tool_names)

    def search(self, queries: Sequence[str], tools: Sequence[ToolDefinition],
               discovered: Iterable[str] = ()) -> list[str]:
        """Up to ``k`` names among ``tools`` for ``queries``, best first (see the class docstring).

        Args:
            queries: The model's search queries; blank ones are skipped.
            tools: The searchable tools' definitions.
            discovered: Names of tools already found earlier in the run; ranked after fresh ones.
                Defaults to ().

        Raises:
            QueryError: No query has visible text.
            SpecError: A tool's parameter schema is malformed (the message names the tool).
        """
        items = tool_items(tools)
        rankings = []
        for query in queries:
            try:
                rankings.append(select_tool_names(items, query, self.router, self.k))
            except QueryError:
                continue  # a blank query among others
        if not rankings:
            raise QueryError(f"no search query has text: {list(queries)!r}")
        merged = interleave(rankings)
        seen = set(discovered)
        return [*(name for name in merged if name not in seen), *(name for name in merged if name in seen)][:self.k]


def interleave(rankings: Sequence[Sequence[str]]) -> list[str]:
    """Rankings merged round-robin (every ranking's first name, then every second ...), without repeats."""
    depth = max((len(ranking) for ranking in rankings), default=0)
    return list(dict.fromkeys(ranking[i] for i in range(depth) for ranking in rankings if i < len(ranking)))


def tool_search(router: Router | None = None, *, k: int = SEARCH_K, tools: ToolSelector[Any] | None = None,
                **options: Any) -> ToolSearch[Any]:
    """A :class:`~pydantic_ai.capabilities.ToolSearch` capability searching with :class:`ToolrouterSearch`.

    Args:
        router: Scores the deferred tools. Defaults to ``Router()`` (the bundled model).
        k: Tools one search returns (also the capability's ``max_results``). Defaults to ``SEARCH_K`` (5).
        tools: Which tools to defer besides those marked ``defer_loading=True``: ``"all"``, a list of
            names, a metadata dict or a callable (Pydantic AI's ``ToolSelector``). Defaults to None.
        **options: Other ``ToolSearch`` fields (``tool_description``, ``parameter_description``).

    Raises:
        ValueError: ``k`` is not a positive integer.
    """
    return ToolSearch(strategy=ToolrouterSearch(router, k=k), max_results=k, tools=tools, **options)


class ToolrouterToolSelector:
    """A ``prepare_tools`` function: on each step, the model sees only the tools the request needs.

    Use it as ``PrepareTools(ToolrouterToolSelector(...))`` in ``Agent(capabilities=[...])``. Each step
    routes on the run's latest user prompt (after tool results, plus the names of the tools called
    since) with the rules of toolrouter's proxy: the ``k`` best-scoring tools are kept, and so are
    tools already called in the conversation and tools named in ``always_include``. Deferred tools
    (``defer_loading=True``, left to ``ToolSearch``) pass untouched; kept tools stay in the agent's
    order. When routing fails (or there is no user text), the step goes on with all its tools and a
    warning is logged.

    Args:
        router: Supplies the reranker and selection settings. Its registry is not used: the step's own
            tools are scored. Defaults to ``Router()`` (the bundled offline model).
        k: Ranked tools kept per step; called tools and ``always_include`` come on top.
            Defaults to ``toolrouter.proxy.DEFAULT_K`` (8).
        always_include: Names of tools kept on every step, regardless of score; names a step does not
            offer are ignored (``prepare`` functions may change a step's tools). Defaults to ().

    Raises:
        ValueError: ``k`` is not a positive integer.
    """

    def __init__(self, router: Router | None = None, *, k: int = DEFAULT_K, always_include: Sequence[str] = ()) -> None:
        check_positive("k", k)
        if isinstance(always_include, str):
            raise ValueError(f"always_include must be a sequence of tool names, got the string {always_include!r}")
        self.router = router if router is not None else Router()
        self.k = k
        self.always_include = tuple(always_include)

    async def __call__(self, ctx: RunContext[Any], tool_defs: list[ToolDefinition]) -> list[ToolDefinition]:
        """The step's tools narrowed to the routed ones: the ``ToolsPrepareFunc`` Pydantic AI calls."""
        return await asyncio.to_thread(self.select, ctx.messages, tool_defs, ctx.prompt)

    def select(self, messages: Sequence[ModelMessage], tool_defs: list[ToolDefinition],
               prompt: Any = None) -> list[ToolDefinition]:
        """``tool_defs`` narrowed to the tools the conversation's latest request needs (fail-open).

        Args:
            messages: The run's messages so far (``ctx.messages``).
            tool_defs: The step's tool definitions.
            prompt: The run's prompt (``ctx.prompt``), routed on when ``messages`` hold no user text.
                Defaults to None.
        """
        routed = [tool for tool in tool_defs if not tool.defer_loading]
        if len(routed) <= self.k:
            return tool_defs
        try:
            conversation = openai_messages(messages)
            query = routing_query(conversation) or prompt_text(prompt)
            if not query.strip():
                return tool_defs
            keep = set(select_tool_names(tool_items(routed), query, self.router, self.k, always=self.always_include,
                                         called=called_tools(conversation)))
        except Exception as exc:  # routing must never stop the run: go on with every tool
            logger.warning("routing failed, the model sees all %d tools: %s: %s", len(tool_defs),
                           type(exc).__name__, exc)
            return tool_defs
        return [tool for tool in tool_defs if tool.defer_loading or tool.name in keep]


def tool_items(tools: Sequence[ToolDefinition]) -> list[ToolItem]:
    """Pydantic AI tool definitions as routable items (OpenAI function specs: name, description, parameters).

    Raises:
        SpecError: A definition's parameter schema is malformed; the message names the tool.
    """
    items = []
    for tool in tools:
        spec = {"type": "function", "function": {"name": tool.name, "description": tool.description or "",
                                                 "parameters": tool.parameters_json_schema}}
        item = load_request_tool(spec, f"tool {tool.name!r}")
        if isinstance(item, ToolItem):
            items.append(item)
    return items


def prompt_text(content: Any) -> str:
    """The text of a user prompt: a string, or the strings among its parts (images and files are skipped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return "\n".join(part for part in content if isinstance(part, str))
    return ""


def openai_messages(messages: Sequence[ModelMessage]) -> list[dict[str, Any]]:
    """A Pydantic AI message history as the Chat Completions messages toolrouter reads its query from.

    User prompts become user messages, tool calls assistant ``tool_calls`` and tool returns (or retry
    prompts for a tool) ``tool`` messages; the rest (system prompts, text, thinking) does not route.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart):
                    out.append({"role": "user", "content": prompt_text(part.content)})
                elif isinstance(part, BaseToolReturnPart) or (isinstance(part, RetryPromptPart) and part.tool_name):
                    out.append({"role": "tool", "content": ""})
        elif isinstance(message, ModelResponse):
            calls = [{"type": "function", "function": {"name": part.tool_name}}
                     for part in message.parts if isinstance(part, BaseToolCallPart)]
            if calls:
                out.append({"role": "assistant", "tool_calls": calls})
    return out
