"""Tool routing inside an Anthropic client, and client-side tool search answered by the router.

::

    from anthropic import Anthropic
    from toolrouter import Router
    from toolrouter.anthropic import wrap

    client = wrap(Anthropic(), router=Router(), k=8)
    client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, messages=messages,
                           tools=many_tools)  # sees 8

:func:`wrap` returns thin proxy objects around the client instance (nothing in the ``anthropic``
package is patched). ``messages.create``/``stream``/``parse``/``count_tokens``, and the same on
``beta.messages``, route their ``tools`` with :func:`route_messages`, streaming (``stream=True``)
included; ``with_options``/``copy`` return wrapped clients; everything else (``messages.batches``,
``with_raw_response``, ``beta.messages.tool_runner``) is the client's own and is not routed.

The rules are the proxy's (:mod:`toolrouter.proxy.routing`, whose selection code this shares) in
Anthropic's shapes:

* the query is the latest user text; a user turn of only ``tool_result`` blocks is tool output, so
  the text before it is used, with the tools called since (:func:`toolrouter.conversation.routing_query`);
* custom tools (``type`` absent or ``"custom"``) are routed; the tool named by ``tool_choice``
  (``{"type": "tool", "name": ...}``) and tools called in ``tool_use`` blocks are kept;
* server tools (any other ``type``: ``web_search_*``, ``code_execution_*``, ``bash_*``,
  ``text_editor_*``, ``computer_*``, ``tool_search_tool_*``, ``mcp_toolset`` ...) and tools the client
  already marked ``defer_loading: true`` pass untouched;
* tools a tool search loaded earlier in the conversation (:func:`loaded_tools`) are never dropped: the
  API refuses a ``tool_reference`` without its definition;
* nothing changes with no more than ``k`` routed tools or no user text; kept tools keep the request's
  order; any failure sends the request unchanged and logs a warning (fail-open).

Tool search
-----------
Anthropic's tool search lets the model load tools on demand: tools sent with ``defer_loading: true``
stay out of its context until a search returns a ``tool_reference`` to them. A custom (client-side)
search is an ordinary tool whose ``tool_result`` content is ``tool_reference`` blocks::

    {"type": "tool_result", "tool_use_id": "toolu_...",
     "content": [{"type": "tool_reference", "tool_name": "get_weather"}]}

and every tool referenced must be in the request's ``tools`` with ``defer_loading: true``; at least one
tool must stay non-deferred. See "Custom tool search implementation" in
https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool#custom-tool-search-implementation
(the shapes also match the anthropic SDK's ``ToolReferenceBlockParam``, ``ToolResultBlockParam`` and
``ToolParam.defer_loading``). That page lists tool search as a beta (header
``advanced-tool-use-2025-11-20``) on some platforms; pass ``betas=`` through ``beta.messages`` there.

``wrap(..., tool_search=True)`` sends the tools routing leaves out with ``defer_loading: true``
instead of dropping them, sends tools already loaded by a search deferred too (as the docs require),
and adds :func:`search_tool`. When the model calls it, answer with :func:`answer_tool_search`.

Mid-conversation tool changes
-----------------------------
Rewriting ``tools`` from turn to turn changes the very start of the prompt, so the prompt cache
misses on everything after it. The ``mid-conversation-tool-changes-2026-07-01`` beta instead lets a
``{"role": "system"}`` message in ``messages`` carry ``tool_addition`` and ``tool_removal`` blocks,
each naming a tool declared in ``tools`` by ``{"type": "tool_reference", "name": ...}``; the change
holds from that point of the conversation on. See "Mid-conversation system messages and tool changes"
in https://platform.claude.com/docs/en/build-with-claude/mid-conversation-system-messages (the shapes
match the anthropic SDK's ``BetaSystemMessageParam``, ``BetaRequestToolAdditionBlockParam``,
``BetaRequestToolRemovalBlockParam`` and ``BetaToolChangeToolReferenceParam``).

``wrap(..., tool_changes=True)`` keeps ``tools`` exactly as given and routes with such a message
(:func:`with_tool_changes`): it adds the routed tools the conversation does not offer yet and removes
the offered ones routing left out (tools already called or loaded stay), inserted before the latest
user turn, and sends the beta header. A caller who keeps the conversation as sent
(:func:`with_tool_changes` returns it) gets small deltas turn after turn.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from toolrouter.conversation import as_items, called_tools, content_blocks, routing_query
from toolrouter.openai import CLIENT_FACTORIES, Wrapped, continuing_method, rewrapping, routed_method
from toolrouter.proxy.routing import (
    DEFAULT_K,
    RoutedRequest,
    check_k,
    fail_open,
    is_list,
    load_request_tool,
    select_tool_names,
)
from toolrouter.registry import ToolItem
from toolrouter.router import Router

ClientT = TypeVar("ClientT")
Route = Callable[[dict[str, Any]], dict[str, Any]]

# Resource methods whose keyword arguments are routed (on ``messages`` and ``beta.messages``).
ROUTED_METHODS = ("create", "stream", "parse", "count_tokens")
# Methods that also refuse the model's calls of hidden tools and ask again (not streamed ones).
CONTINUED_METHODS = ("create", "parse")
# (names of the tools the model was shown, names of the caller's custom tools), per request.
Shown = tuple[frozenset[str], frozenset[str]]
Prepare = Callable[[dict[str, Any]], tuple[dict[str, Any], Shown, bool]]
# Tools one search loads (Anthropic's own tool search returns 3-5).
SEARCH_K = 5
# The beta that lets messages carry tool_addition/tool_removal blocks.
TOOL_CHANGES_BETA = "mid-conversation-tool-changes-2026-07-01"
# The name the model calls the custom search tool by.
SEARCH_TOOL_NAME = "search_tools"
SEARCH_TOOL_DESCRIPTION = (
    "Search the catalog of tools that are not loaded yet. Describe the capability you need in plain "
    "words (for example 'convert an amount between currencies'); the best matching tools are loaded "
    "and can be called right after this search."
)


def wrap(client: ClientT, router: Router | None = None, k: int = DEFAULT_K, tool_search: bool = False,
         tool_changes: bool = False, allow_hidden: bool = False) -> ClientT:
    """Wrap an ``anthropic.Anthropic`` or ``AsyncAnthropic`` client so its requests see only the routed tools.

    Args:
        client: The client instance. Bedrock and Vertex clients expose the same ``messages`` resource and
            are wrapped alike, but only ``Anthropic`` and ``AsyncAnthropic`` are tested.
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Ranked custom tools kept per request. Defaults to ``DEFAULT_K``.
        tool_search: Send the tools routing leaves out with ``defer_loading: true`` and add
            :func:`search_tool`, so the model can still load them; answer its searches with
            :func:`answer_tool_search`. Defaults to False (they are dropped).
        tool_changes: Keep ``tools`` as given and route with mid-conversation ``tool_addition`` /
            ``tool_removal`` blocks instead, so the prompt cache survives (see the module docstring).
            Defaults to False.
        allow_hidden: Return the model's calls of tools routing did not show it (seen earlier, or
            guessed) instead of answering them with an error ``tool_result`` and asking again
            (``create``/``parse``, not streamed). Defaults to False.

    Raises:
        ValueError: An invalid ``k``, or both ``tool_search`` and ``tool_changes``.
    """
    check_k(k)
    _check_strategy(tool_search, tool_changes)
    router = router if router is not None else Router()
    prepare = functools.partial(_prepare_kwargs, router=router, k=k, tool_search=tool_search,
                                tool_changes=tool_changes)

    def route(kwargs: dict[str, Any]) -> dict[str, Any]:
        return prepare(kwargs)[0]

    rewrap = functools.partial(wrap, router=router, k=k, tool_search=tool_search, tool_changes=tool_changes,
                               allow_hidden=allow_hidden)
    overrides = {name: rewrapping(getattr(client, name), rewrap) for name in CLIENT_FACTORIES if hasattr(client, name)}
    overrides["messages"] = _routed_resource(client.messages, route, prepare, allow_hidden)  # type: ignore[attr-defined]
    beta = getattr(client, "beta", None)
    if beta is not None and hasattr(beta, "messages"):
        overrides["beta"] = Wrapped(beta, messages=_routed_resource(beta.messages, route, prepare, allow_hidden))
    return Wrapped(client, **overrides)  # type: ignore[return-value]


def _check_strategy(tool_search: bool, tool_changes: bool) -> None:
    if tool_search and tool_changes:
        raise ValueError("tool_search and tool_changes are two ways to hold tools back: pick one")


def route_messages(body: Mapping[str, Any], router: Router, k: int = DEFAULT_K,
                   tool_search: bool = False, tool_changes: bool = False) -> RoutedRequest:
    """Choose the tools one Messages API request's model should see, and rewrite the body to match.

    Args:
        body: A Messages API request body (or the client's keyword arguments).
        router: Supplies the reranker and the selection settings (first stage, threshold).
        k: Ranked custom tools to keep. Defaults to ``DEFAULT_K``.
        tool_search: Defer the other custom tools instead of dropping them, and add :func:`search_tool`
            (see the module docstring). Defaults to False.
        tool_changes: Keep ``tools`` and change what is offered with a mid-conversation system
            message instead (:func:`with_tool_changes`). Defaults to False.

    Returns:
        What routing did; its ``tools`` and ``tools_out`` count the tools the model sees up front
        (deferred and removed ones left out).

    Raises:
        ValueError: An invalid ``k``, or both strategies (a caller's mistake, not a routing failure).
    """
    check_k(k)
    _check_strategy(tool_search, tool_changes)
    tools = body.get("tools")
    return fail_open(body, len(tools) if is_list(tools) else 0,
                     lambda: _route(body, router, k, tool_search, tool_changes))


def _route(body: Mapping[str, Any], router: Router, k: int, tool_search: bool, tool_changes: bool) -> RoutedRequest:
    specs = list(body["tools"]) if is_list(body.get("tools")) else []
    items = [load_request_tool(spec, f"tools[{i}]") for i, spec in enumerate(specs)]
    routed = [isinstance(item, ToolItem) and not _is_deferred(spec) for spec, item in zip(specs, items)]
    functions = [item for item, is_routed in zip(items, routed) if is_routed]
    shown = tuple(item.name for spec, item in zip(specs, items) if not _is_deferred(spec))
    unchanged = RoutedRequest(body, False, shown, len(items), len(shown))
    if len(functions) <= k:
        return unchanged
    messages = body.get("messages")
    query = routing_query(messages)
    if not query.strip():
        return unchanged  # e.g. a conversation of tool results only

    selected = select_tool_names(functions, query, router, k, always=_choice_names(body.get("tool_choice")),
                                 called=called_tools(messages))
    keep = set(selected)
    loaded = set(loaded_tools(messages))
    if tool_changes:
        offered = offered_tools(messages, [item.name for item in functions])
        wanted = [*selected, *(name for name in offered if name in loaded)]
        change = tool_change_message(offered, wanted)
        routed_names = {item.name for item in functions}
        visible = tuple(name for name in shown if name not in routed_names or name in wanted)
        if change is None:
            return RoutedRequest(body, False, visible, len(items), len(visible))
        return RoutedRequest({**body, "messages": _insert_change(messages, change)}, True, visible, len(items),
                             len(visible))
    sent: list[tuple[Any, str]] = []  # (spec, tool name)
    for spec, item, is_routed in zip(specs, items, routed):
        if not is_routed:
            sent.append((spec, item.name))
        elif tool_search:  # a search may load what is deferred; what it loaded must stay deferred
            up_front = item.name in keep and item.name not in loaded
            sent.append((spec if up_front else {**spec, "defer_loading": True}, item.name))
        elif item.name in keep or item.name in loaded:
            sent.append((spec, item.name))
    if tool_search and SEARCH_TOOL_NAME not in {name for _, name in sent}:
        sent.append((search_tool(), SEARCH_TOOL_NAME))
    visible = tuple(name for spec, name in sent if not _is_deferred(spec))
    return RoutedRequest({**body, "tools": [spec for spec, _ in sent]}, True, visible, len(specs), len(visible))


def _is_deferred(spec: Any) -> bool:
    return isinstance(spec, Mapping) and spec.get("defer_loading") is True


def offered_tools(messages: Any, declared: Iterable[str]) -> list[str]:
    """The ``declared`` tools a conversation offers at its end: all of them, then each ``tool_addition``
    and ``tool_removal`` block of its messages (by ``tool_reference`` name) applied in order."""
    offered = dict.fromkeys(declared)
    for message in as_items(messages):
        for block in content_blocks(message):
            tool = block.get("tool")
            if not isinstance(tool, Mapping) or tool.get("type") != "tool_reference":
                continue
            if block.get("type") == "tool_addition":
                offered.setdefault(str(tool.get("name")))
            elif block.get("type") == "tool_removal":
                offered.pop(str(tool.get("name")), None)
    return list(offered)


def tool_change_message(offered: Iterable[str], wanted: Iterable[str]) -> dict[str, Any] | None:
    """The system message turning ``offered`` into ``wanted`` (additions first, in ``wanted`` order;
    removals in ``offered`` order), or None when they are the same set."""
    offered, wanted = list(offered), list(dict.fromkeys(wanted))
    blocks = [{"type": "tool_addition", "tool": {"type": "tool_reference", "name": name}}
              for name in wanted if name not in offered]
    blocks += [{"type": "tool_removal", "tool": {"type": "tool_reference", "name": name}}
               for name in offered if name not in wanted]
    return {"role": "system", "content": blocks} if blocks else None


def with_tool_changes(messages: Any, tools: Iterable[Any], router: Router | None = None,
                      k: int = DEFAULT_K, tool_choice: Any = None) -> list[Any]:
    """``messages`` with the tool changes that route their latest turn, for a caller who keeps them.

    Send the result with ``tools`` unchanged and the ``mid-conversation-tool-changes-2026-07-01``
    beta, and keep it as the conversation: next turn's changes are then a small delta.

    Raises:
        QueryError: The conversation has no user text to route on.
        SpecError: A malformed tool spec, named by its position (``tools[3]``).
    """
    check_k(k)
    body = {"messages": messages, "tools": list(tools), "tool_choice": tool_choice}
    routed = _route(body, router if router is not None else Router(), k, False, True)
    return list(routed.body["messages"]) if routed.changed else as_items(messages)


def _insert_change(messages: Any, change: dict[str, Any]) -> list[Any]:
    """``messages`` with ``change`` before the latest user turn, or last when that turn holds tool
    results (a ``tool_result`` must follow its ``tool_use`` directly)."""
    items = list(messages) if is_list(messages) else as_items(messages)
    last = as_items(items[-1:])[0] if items else None
    if isinstance(last, Mapping) and last.get("role") == "user" and not any(
            block.get("type") == "tool_result" for block in content_blocks(last)):
        return [*items[:-1], change, items[-1]]
    return [*items, change]


def _choice_names(choice: Any) -> list[str]:
    """The tool a ``tool_choice`` of ``{"type": "tool", "name": ...}`` forces; other choices name none."""
    if isinstance(choice, Mapping) and choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        return [choice["name"]]
    return []


def loaded_tools(messages: Any) -> list[str]:
    """Names of the tools a tool search loaded in an Anthropic conversation, first load first.

    Reads the ``tool_reference`` blocks in ``tool_result`` content (a custom search, as answered by
    :func:`answer_tool_search`) and in ``tool_search_tool_result`` blocks (Anthropic's server-side search).
    """
    names: list[str] = []
    for message in as_items(messages):
        for block in content_blocks(message):
            content = block.get("content")
            if block.get("type") == "tool_search_tool_result" and isinstance(content, dict):
                content = content.get("tool_references")
            if block.get("type") in ("tool_result", "tool_search_tool_result") and isinstance(content, list):
                names += [ref["tool_name"] for ref in content if isinstance(ref, dict)
                          and ref.get("type") == "tool_reference" and isinstance(ref.get("tool_name"), str)]
    return list(dict.fromkeys(names))


def search_tool(name: str = SEARCH_TOOL_NAME, description: str = SEARCH_TOOL_DESCRIPTION) -> dict[str, Any]:
    """The definition of a custom tool-search tool, to send non-deferred beside deferred tools.

    The model calls it with ``{"query": "..."}``; answer with :func:`answer_tool_search`.

    Args:
        name: The name the model calls it by. Defaults to ``SEARCH_TOOL_NAME``.
        description: What the model is told it does. Defaults to ``SEARCH_TOOL_DESCRIPTION``.
    """
    return {"name": name, "description": description, "input_schema": {
        "type": "object", "required": ["query"],
        "properties": {"query": {"type": "string", "description": "The capability the needed tool provides."}}}}


def search_tools(query: str, tools: Iterable[Any], router: Router | None = None,
                 k: int = SEARCH_K) -> list[dict[str, str]]:
    """``tool_reference`` blocks for the custom tools among ``tools`` that best match ``query``, best first.

    Args:
        query: What the model searched for.
        tools: The tools a search may load (server tools among them are ignored).
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Most tools returned (the router's threshold may return fewer). Defaults to ``SEARCH_K``.

    Returns:
        ``[{"type": "tool_reference", "tool_name": ...}, ...]``.

    Raises:
        QueryError: ``query`` has nothing to route on.
        SpecError: A malformed tool spec, named by its position (``tools[3]``).
    """
    check_k(k)
    items = [load_request_tool(spec, f"tools[{i}]") for i, spec in enumerate(tools)]
    candidates = [item for item in items if isinstance(item, ToolItem)]
    names = select_tool_names(candidates, query, router if router is not None else Router(), k)
    return [{"type": "tool_reference", "tool_name": name} for name in names]


def answer_tool_search(tool_use: Any, tools: Iterable[Any], router: Router | None = None,
                       k: int = SEARCH_K) -> dict[str, Any]:
    """The ``tool_result`` block answering the model's call of the search tool (:func:`search_tool`).

    Args:
        tool_use: The ``tool_use`` block calling the search tool (the SDK's ``ToolUseBlock`` or a dict).
        tools: The tools the search may load: the full ``tools`` given to a client wrapped with
            ``tool_search=True`` (it sends every tool a search loaded deferred), or otherwise the
            request's deferred tools. The search tool itself (by ``tool_use``'s name) is never returned.
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Most tools loaded. Defaults to ``SEARCH_K``.

    Returns:
        ``{"type": "tool_result", "tool_use_id": ..., "content": [tool_reference blocks]}``; a text
        block when nothing matches; ``is_error: true`` when the model sent no query, so it can retry.

    Raises:
        ValueError: ``tool_use`` is not a ``tool_use`` block with an ``id``.
    """
    block = tool_use.model_dump() if callable(getattr(tool_use, "model_dump", None)) else tool_use
    if not isinstance(block, Mapping) or block.get("type") != "tool_use" or not isinstance(block.get("id"), str):
        raise ValueError(f"answer_tool_search needs a tool_use block with an 'id', got {block!r:.200}")
    result = {"type": "tool_result", "tool_use_id": block["id"]}
    arguments = block.get("input")
    query = arguments.get("query") if isinstance(arguments, Mapping) else None
    if not isinstance(query, str) or not query.strip():
        return {**result, "content": "The search needs a non-empty 'query' string.", "is_error": True}
    searchable = [spec for spec in tools if not (isinstance(spec, Mapping) and spec.get("name") == block.get("name"))]
    references = search_tools(query, searchable, router, k)
    return {**result, "content": references or [{"type": "text", "text": "No tool matches this search."}]}


def _routed_resource(resource: Any, route: Route, prepare: Prepare, allow_hidden: bool) -> Wrapped:
    """``messages`` (or ``beta.messages``) with its request-making methods routed; ``create`` and
    ``parse`` also refuse calls of hidden tools (:func:`hidden_tools_refused`) unless ``allow_hidden``."""
    is_async = inspect.iscoroutinefunction(inspect.unwrap(resource.create))  # unwrap: SDK decorators hide it
    methods = {}
    for name in ROUTED_METHODS:
        if hasattr(resource, name):
            method = getattr(resource, name)
            # The async client's stream() is a plain method returning an async context manager.
            if is_async and name == "stream":
                methods[name] = _routed_async_stream(method, route)
            elif name in CONTINUED_METHODS and not allow_hidden:
                methods[name] = continuing_method(method, prepare, hidden_tools_refused, is_async)
            else:
                methods[name] = routed_method(method, route, is_async)
    return Wrapped(resource, **methods)


def hidden_tools_refused(body: dict[str, Any], response: Any, shown: Shown) -> dict[str, Any] | None:
    """The request that continues ``response`` after refusing its calls of hidden tools, or None.

    A hidden tool is a custom tool of the caller's ``tools`` that routing did not show the model (it saw
    it earlier, or guessed the name). When every ``tool_use`` of the response calls one, each gets a
    ``tool_result`` with ``is_error: true`` and the model is asked again; otherwise the response is the
    caller's.

    Args:
        body: The request sent.
        response: The SDK's message.
        shown: (names the model was shown, names of the caller's custom tools).
    """
    visible, known = shown
    if body.get("stream") is True:
        return None
    content = [as_block(block) for block in getattr(response, "content", None) or []]
    calls = [block for block in content if block.get("type") == "tool_use"]
    if not calls or any(call.get("name") in visible or call.get("name") not in known for call in calls):
        return None
    refusals = [{"type": "tool_result", "tool_use_id": call.get("id"), "is_error": True,
                 "content": f"tool {call.get('name')!r} is not available in this request; use one of the tools "
                            "you were given"} for call in calls]
    messages = [*as_items(body.get("messages")), {"role": "assistant", "content": content},
                {"role": "user", "content": refusals}]
    return {**body, "messages": messages}


def as_block(block: Any) -> dict[str, Any]:
    """An SDK content block as its JSON dict."""
    dump = getattr(block, "model_dump", None)
    return dump(mode="json", exclude_none=True) if callable(dump) else dict(block)


def _routed_async_stream(stream: Callable[..., Any], route: Route) -> Callable[..., Any]:
    @functools.wraps(stream)
    def routed_stream(*args: Any, **kwargs: Any) -> RoutedStreamManager:
        return RoutedStreamManager(lambda routed: stream(*args, **routed), route, kwargs)

    return routed_stream


class RoutedStreamManager:
    """``async with client.messages.stream(...)`` on a wrapped async client.

    Routing runs in a worker thread on entering (scoring is CPU-bound), and only then is the client's own
    stream manager created and entered, so the request leaves with the routed tools.
    """

    def __init__(self, open_stream: Callable[[dict[str, Any]], Any], route: Route, kwargs: dict[str, Any]) -> None:
        self._open_stream = open_stream
        self._route = route
        self._kwargs = kwargs
        self._manager: Any = None

    async def __aenter__(self) -> Any:
        import anyio

        self._manager = self._open_stream(await anyio.to_thread.run_sync(self._route, self._kwargs))
        return await self._manager.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._manager.__aexit__(*exc_info)


def _prepare_kwargs(kwargs: dict[str, Any], router: Router, k: int, tool_search: bool,
                    tool_changes: bool) -> tuple[dict[str, Any], Shown, bool]:
    """The keyword arguments with routed tools, what the model is shown, and whether routing changed them.

    The anthropic client's omitted-value markers are ignored. Tool changes also send their beta, added
    to any ``anthropic-beta`` header the caller set.
    """
    given = {name: value for name, value in kwargs.items() if not _is_omitted(value)}
    routed = route_messages(given, router, k, tool_search, tool_changes)
    known = frozenset(str(spec.get("name")) for spec in given.get("tools") or []
                      if isinstance(spec, Mapping) and spec.get("type") in (None, "custom"))
    shown = (frozenset(routed.tools) | frozenset(loaded_tools(given.get("messages"))), known)
    if not routed.changed:
        return kwargs, shown, False
    if tool_changes:
        headers = dict(given.get("extra_headers") or {})
        betas = [beta.strip() for beta in str(headers.get("anthropic-beta", "")).split(",") if beta.strip()]
        headers["anthropic-beta"] = ",".join(dict.fromkeys([*betas, TOOL_CHANGES_BETA]))
        return {**kwargs, **routed.body, "extra_headers": headers}, shown, True
    return {**kwargs, **routed.body}, shown, True


def _is_omitted(value: Any) -> bool:
    """anthropic's ``NOT_GIVEN``/``omit`` markers, which mean the argument is absent."""
    from anthropic import NotGiven, Omit

    return isinstance(value, NotGiven | Omit)
