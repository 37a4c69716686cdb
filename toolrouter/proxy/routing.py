"""Request routing: an OpenAI request body in, the body to send upstream out.

Shared by the HTTP proxy (:mod:`toolrouter.proxy.app`) and the client wrapper
(:mod:`toolrouter.openai`), so both apply the same rules:

* the query is the conversation's latest user intent (:func:`~toolrouter.conversation.routing_query`);
* tools named by ``tool_choice`` (or the legacy ``function_call``) and tools already called are kept;
* non-function tools (``web_search``, ``file_search``, ``mcp``, ``custom`` ...) pass untouched;
* legacy ``functions`` are routed like ``tools``;
* nothing changes when the request has no more than ``k`` function tools, or no user message;
* never more than :data:`MAX_UPSTREAM_TOOLS` tools go upstream;
* kept tools keep the request's order, so the upstream prompt cache sees a stable prefix;
* any failure leaves the body unchanged and reports the error (fail-open).

The selection itself is :func:`select_tool_names`, shared with the Anthropic wrapper
(:mod:`toolrouter.anthropic`): :meth:`Router.select_tools` run on a per-request registry of the
request's own tools with the shared router's reranker and settings (first stage, threshold, candidates).
Failures are handled by :func:`fail_open`, also shared.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from toolrouter.conversation import called_tools, routing_query
from toolrouter.registry import HostedTool, Registry, ToolItem
from toolrouter.registry.tools import load_tool
from toolrouter.router import Explanation, Router, ScoredItem, Selection

logger = logging.getLogger("toolrouter.proxy")

Api = Literal["chat", "responses"]
Mode = Literal["filter", "allowed_tools"]
# Why a tool of a routed request was forwarded or not (see RankedTool).
ToolReason = Literal["ranked", "always", "called", "named", "hosted", "unrouted", "dropped"]
APIS: tuple[Api, ...] = ("chat", "responses")
MODES: tuple[Mode, ...] = ("filter", "allowed_tools")

# Ranked function tools kept per request (tools named by tool_choice or already called come on top).
DEFAULT_K = 8
# Most tool definitions a request carries upstream (OpenAI's limit on ``tools``).
MAX_UPSTREAM_TOOLS = 128
# Request fields holding tool definitions: ``tools`` and the legacy Chat Completions ``functions``.
TOOL_FIELDS = ("tools", "functions")
# The conversation's field per API.
MESSAGE_FIELDS: dict[Api, str] = {"chat": "messages", "responses": "input"}
# Loaded tool specs kept for reuse: clients resend the same tools with every request.
TOOL_CACHE_SIZE = 4096
# tool_choice values that allowed_tools mode replaces; any other choice (a forced tool, "none",
# the client's own allowed_tools) is the client's decision and is kept.
OPEN_CHOICES = (None, "auto", "required")


@dataclass(frozen=True)
class RankedTool:
    """One of a request's tools as routing saw it: what an inspector shows.

    Attributes:
        item: The loaded tool (its ``name`` is the one the model sees).
        score: Reranker relevance in [0, 1]; None when not scored (hosted tools, tools kept without
            ranking, tools the first stage left out).
        reason: ``ranked`` (top k), ``always`` (named by ``tool_choice``/``function_call``),
            ``called`` (already called in the conversation), ``named`` (the request text names it),
            ``hosted`` (a non-function tool, passed through), ``unrouted`` (forwarded because the
            request was not ranked) or ``dropped``.
    """

    item: ToolItem | HostedTool
    score: float | None
    reason: ToolReason

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def kept(self) -> bool:
        """Whether the tool goes upstream (in ``allowed_tools`` mode: whether the model may use it)."""
        return self.reason != "dropped"


@dataclass(frozen=True)
class RoutedRequest:
    """What routing did to one request.

    Attributes:
        body: The body to send upstream: the very object given when nothing changed.
        changed: Whether ``body`` differs from the request.
        tools: Names of the tools the model may use, in request order (non-function tools by
            their name, server label or type); empty after a failure.
        tools_in: Tool definitions in the request (``tools`` plus ``functions``).
        tools_out: Tools the model may use after routing.
        seconds: Time spent routing.
        error: Why routing failed (``"QueryError: ..."``); the body is then unchanged (fail-open).
        query: The text routing ranked the tools for; empty when it did not rank them.
        ranking: Every tool of the request once its tools loaded (see :class:`RankedTool`): the kept
            ones in selection order, hosted ones, then the dropped ones best first; all ``unrouted``
            (or ``hosted``) when nothing was ranked; empty after a failure.
    """

    body: Mapping[str, Any]
    changed: bool
    tools: tuple[str, ...]
    tools_in: int
    tools_out: int
    seconds: float = 0.0
    error: str | None = None
    query: str = ""
    ranking: tuple[RankedTool, ...] = ()

    @property
    def ranked(self) -> bool:
        """Whether the reranker ran (or tried to): the request changed, or routing failed."""
        return self.changed or self.error is not None


def check_choice(name: str, value: Any, valid: Sequence[str]) -> None:
    """Raise ``ValueError`` listing the valid values when ``value`` is not one of them."""
    if value not in valid:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, valid))}, got {value!r}")


def check_k(k: Any) -> None:
    """Raise ``ValueError`` unless ``k`` is a positive integer."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def route_request(
    body: Mapping[str, Any],
    api: Api,
    router: Router,
    k: int = DEFAULT_K,
    mode: Mode = "filter",
) -> RoutedRequest:
    """Choose the tools one request's model should see, and rewrite the body to match.

    Args:
        body: A Chat Completions or Responses request body (or the client's keyword arguments).
        api: ``"chat"`` (``messages``) or ``"responses"`` (``input``).
        router: Supplies the reranker and the selection settings (first stage, threshold).
        k: Ranked function tools to keep. Defaults to ``DEFAULT_K``.
        mode: ``"filter"`` drops the other function definitions; ``"allowed_tools"`` keeps every
            definition (the upstream prompt cache stays valid) and restricts the model through
            ``tool_choice``; legacy ``functions`` have no allowed-list form and are filtered.
            Defaults to "filter".

    Raises:
        ValueError: ``api``, ``mode`` or ``k`` is invalid (a caller's mistake, not a routing failure).
    """
    check_choice("api", api, APIS)
    check_choice("mode", mode, MODES)
    check_k(k)
    count = sum(len(body[field]) for field in TOOL_FIELDS if is_list(body.get(field)))
    return fail_open(body, count, lambda: _route(body, api, router, k, mode))


def fail_open(body: Mapping[str, Any], tools_in: int, route: Callable[[], RoutedRequest]) -> RoutedRequest:
    """Run ``route`` and time it; when it raises, return ``body`` unchanged with the error, logged.

    Routing must never fail a request, so any exception means "forward it as it came".

    Args:
        body: The request as received.
        tools_in: Tool definitions in ``body``, reported on failure.
        route: Routes ``body``.
    """
    started = time.perf_counter()
    try:
        routed = route()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("routing failed, forwarding the request unchanged: %s", error)
        return RoutedRequest(body, False, (), tools_in, tools_in, time.perf_counter() - started, error)
    return replace(routed, seconds=time.perf_counter() - started)


def select_tool_names(tools: Sequence[ToolItem], query: str, router: Router, k: int, *,
                      always: Iterable[str] = (), called: Iterable[str] = (),
                      group_descriptions: Mapping[str, str] | None = None) -> list[str]:
    """The names of the tools to keep among one request's ``tools``, in selection order.

    ``always`` (forced by the request) and ``called`` (already used in the conversation) come first,
    when present among ``tools``; then up to ``k`` tools ranked for ``query``. Scoring uses the shared
    ``router``'s reranker and settings on a registry of just these tools, so every API routes alike;
    ``group_descriptions`` describes their groups (Responses namespaces, say) by name.

    Raises:
        QueryError: ``query`` has nothing to route on.
    """
    return [selection.name for selection in explain_tools(tools, query, router, k, always=always, called=called,
                                                           group_descriptions=group_descriptions).selections]


def explain_tools(tools: Sequence[ToolItem], query: str, router: Router, k: int, *,
                  always: Iterable[str] = (), called: Iterable[str] = (),
                  group_descriptions: Mapping[str, str] | None = None) -> Explanation:
    """:func:`select_tool_names`' selection with the ranking it was taken from (:meth:`Router.explain`).

    Raises:
        QueryError: ``query`` has nothing to route on.
    """
    registry = Registry(tools)
    for group, description in (group_descriptions or {}).items():
        registry.describe_group(group, description)
    per_request = Router(router.reranker, registry=registry, first_stage=router.first_stage,
                         threshold=router.threshold, candidates=router.candidates, rerank=router.rerank,
                         groups=router.groups)
    return per_request.explain(query, "tool", k, always=[*always, *called])


def _route(body: Mapping[str, Any], api: Api, router: Router, k: int, mode: Mode) -> RoutedRequest:
    specs = {field: list(body[field]) for field in TOOL_FIELDS if is_list(body.get(field))}
    loaded = {field: [load_request_tool(spec, f"{field}[{i}]") for i, spec in enumerate(value)]
              for field, value in specs.items()}
    entries = [item for items in loaded.values() for item in items]
    functions = [item for item in entries if isinstance(item, ToolItem)]
    unrouted = tuple(RankedTool(item, None, "hosted" if isinstance(item, HostedTool) else "unrouted")
                     for item in entries)
    unchanged = RoutedRequest(body, False, tuple(item.name for item in entries), len(entries), len(entries),
                              ranking=unrouted)
    budget = max(MAX_UPSTREAM_TOOLS - (len(entries) - len(functions)), 0)
    limit = min(k, budget)
    choice = body.get("tool_choice")
    keeps_definitions = mode == "allowed_tools" and len(entries) <= MAX_UPSTREAM_TOOLS
    if len(functions) <= limit:
        return unchanged
    if keeps_definitions and "functions" not in loaded and choice not in OPEN_CHOICES:
        return unchanged  # the client's own choice stands and every definition stays: nothing to do
    messages = body.get(MESSAGE_FIELDS[api])
    query = routing_query(messages)
    if not query.strip():
        return unchanged  # nothing to route on (e.g. only tool outputs after previous_response_id)

    always = [*choice_names(choice), *choice_names(body.get("function_call"))]
    called = called_tools(messages)
    explanation = explain_tools(functions, query, router, limit, always=always, called=called)
    selections = explanation.selections[:budget]
    keep = {selection.name for selection in selections}

    def kept(item: ToolItem | HostedTool) -> bool:
        return isinstance(item, HostedTool) or item.name in keep

    routed = dict(body)
    for field, items in loaded.items():
        if not (keeps_definitions and field == "tools"):
            routed[field] = [spec for spec, item in zip(specs[field], items) if kept(item)]
    if mode == "allowed_tools" and "tools" in loaded and choice in OPEN_CHOICES:
        allowed = [allowed_entry(spec, item, api) for spec, item in zip(specs["tools"], loaded["tools"])
                   if kept(item)]
        routed["tool_choice"] = allowed_choice(api, allowed, "required" if choice == "required" else "auto")
    out = [item.name for item in entries if kept(item)]
    ranking = ranked_tools(entries, selections, explanation.ranking, set(called) - set(always))
    return RoutedRequest(routed, True, tuple(out), len(entries), len(out), query=query, ranking=ranking)


def ranked_tools(entries: Sequence[ToolItem | HostedTool], selections: Sequence[Selection],
                 ranking: Sequence[ScoredItem], called: Collection[str]) -> tuple[RankedTool, ...]:
    """Every entry as a :class:`RankedTool`: the selected ones in selection order, hosted tools, then the
    dropped ones best first (those the first stage left out last, unscored, in request order).

    ``called`` names the tools kept as already called (the selection lists them as ``always``).
    """
    items = {item.name: item for item in entries if isinstance(item, ToolItem)}
    scores = {scored.item.name: scored.score for scored in ranking}
    chosen = [RankedTool(items[s.name], None if math.isnan(s.score) else s.score,
                         "called" if s.reason == "always" and s.name in called else s.reason)
              for s in selections if s.name in items and s.reason != "bridge"]
    names = {tool.name for tool in chosen}
    hosted = [RankedTool(item, None, "hosted") for item in entries if isinstance(item, HostedTool)]
    dropped = sorted((name for name in items if name not in names), key=lambda name: -scores.get(name, -1.0))
    return (*chosen, *hosted, *(RankedTool(items[name], scores.get(name), "dropped") for name in dropped))


def load_request_tool(spec: Any, where: str) -> ToolItem | HostedTool:
    """Load one of a request's tool specs, reusing the item of an identical spec seen before.

    Loading validates the parameters' JSON Schema, which costs milliseconds per tool; the cache,
    keyed by the spec's JSON text, makes a resent tool list nearly free.

    Raises:
        SpecError: The spec is malformed; ``where`` locates it.
    """
    try:
        return _load_tool_json(json.dumps(spec, sort_keys=True))
    except (TypeError, ValueError):  # not JSON (TypeError) or malformed (SpecError): load it again to say where
        return load_tool(spec, where=where)


@functools.lru_cache(maxsize=TOOL_CACHE_SIZE)
def _load_tool_json(text: str) -> ToolItem | HostedTool:
    return load_tool(json.loads(text))


def is_list(value: Any) -> bool:
    """Whether ``value`` is a list-like of items (a string is not)."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def choice_names(choice: Any) -> list[str]:
    """Function names a ``tool_choice`` (or legacy ``function_call``) forces or allows.

    Reads both APIs' shapes: ``{"type": "function", "function": {"name"}}`` (Chat),
    ``{"type": "function", "name"}`` (Responses), ``{"name"}`` (legacy) and ``allowed_tools``
    in either form. Strings (``auto``, ``required``, ``none``) name no tool.
    """
    if not isinstance(choice, dict):
        return []
    if choice.get("type") == "allowed_tools":
        allowed = choice["allowed_tools"] if isinstance(choice.get("allowed_tools"), dict) else choice
        tools = allowed.get("tools")
        return [name for tool in tools for name in choice_names(tool)] if is_list(tools) else []
    if choice.get("type", "function") != "function":
        return []
    function = choice["function"] if isinstance(choice.get("function"), dict) else choice
    name = function.get("name")
    return [name] if isinstance(name, str) else []


def allowed_entry(spec: Any, item: ToolItem | HostedTool, api: Api) -> dict[str, Any]:
    """The reference to one tool inside an ``allowed_tools`` choice, in ``api``'s shape."""
    if isinstance(item, ToolItem):
        if api == "chat":
            return {"type": "function", "function": {"name": item.name}}
        return {"type": "function", "name": item.name}
    if api == "chat":  # Chat's other tools (custom) nest their name under their type
        inner = spec.get(item.type)
        if isinstance(inner, dict) and "name" in inner:
            return {"type": item.type, item.type: {"name": inner["name"]}}
        return {"type": item.type}
    return {"type": item.type, **{key: spec[key] for key in ("name", "server_label") if key in spec}}


def allowed_choice(api: Api, tools: list[dict[str, Any]], mode: Literal["auto", "required"]) -> dict[str, Any]:
    """An ``allowed_tools`` tool_choice: nested under ``allowed_tools`` for Chat, flat for Responses."""
    if api == "chat":
        return {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": tools}}
    return {"type": "allowed_tools", "mode": mode, "tools": tools}
