"""OpenAI Responses tool search executed by the client, answered by the router; hidden tools stay hidden.

The Responses API lets the model search deferred tools with a search the caller runs: the request
carries a ``{"type": "tool_search", "execution": "client"}`` tool, the model emits a
``tool_search_call`` output item, and the caller sends back a ``tool_search_output`` input item
whose ``tools`` are the definitions the model may use from then on. Guide:
https://developers.openai.com/api/docs/guides/tools-tool-search; the shapes here follow the
``openai`` SDK's types generated from OpenAI's API spec (``ToolSearchTool``,
``ResponseToolSearchCall``, ``ResponseToolSearchOutputItemParamParam``, ``NamespaceToolParam``,
``ResponseFunctionToolCall.namespace``).

toolrouter plays the caller's part:

* :func:`defer_request` sends the model the routed top-k tools plus a client tool-search tool, and
  holds back the rest: the tools routing left out and every tool marked ``defer_loading: true``
  (functions, or namespaces of functions). Held-back tools are never sent, so they also stay out of
  OpenAI's 128-tool limit and the prompt.
* :func:`answer_tool_search` answers a ``tool_search_call`` with the router's best matches among all
  the request's tools, namespace members returned inside their namespace.
* :func:`continuation` lets a wrapper or proxy answer the model's searches itself and continue
  the response, so the caller sees one call. It also refuses calls of hidden tools: a tool the
  request had but the model was not shown (it saw it earlier, or guessed the name) gets a
  ``function_call_output`` error telling the model to search, unless the caller allows such calls.
  :func:`chat_continuation` refuses them the same way in Chat Completions (a ``tool`` message).

Namespace members are registry items named ``namespace__function``, the registry's own namespace
form, so the router's short-name matching finds ``function`` too.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from toolrouter.proxy.routing import (
    RoutedRequest,
    check_k,
    is_list,
    load_request_tool,
    route_request,
    select_tool_names,
)
from toolrouter.registry import ToolItem
from toolrouter.router import Router

# Tools one search returns at most.
SEARCH_K = 5
# Searches and refused hidden calls answered in a row before the response goes back as it is.
MAX_CONTINUATIONS = 4
SEARCH_DESCRIPTION = ("Find more tools. Describe the capability you need (e.g. 'send an email'); the best-matching "
                      "tools become available to call.")
SEARCH_PARAMETERS = {"type": "object", "required": ["query"], "additionalProperties": False, "properties": {
    "query": {"type": "string", "description": "The capability the needed tool provides."}}}
# Separator of namespace and function in the registry name of a namespace member.
NAMESPACE_SEPARATOR = "__"


def client_search_tool(description: str = SEARCH_DESCRIPTION) -> dict[str, Any]:
    """The ``tool_search`` tool with ``execution: "client"`` that :func:`defer_request` adds."""
    return {"type": "tool_search", "execution": "client", "description": description,
            "parameters": SEARCH_PARAMETERS}


@dataclass(frozen=True)
class Searchable:
    """A function a search may return: its item (namespace members named ``namespace__name``),
    its definition as it will be returned, and the namespace spec it belongs to, if any."""

    item: ToolItem
    definition: dict[str, Any]
    namespace: Mapping[str, Any] | None = None


def searchable_tools(tools: Iterable[Any]) -> list[Searchable]:
    """The function tools of a Responses ``tools`` list, namespace members included.

    Raises:
        SpecError: A malformed function spec, named by its position (``tools[3]``, ``tools[3].tools[0]``).
    """
    found = []
    for index, spec in enumerate(tools):
        if isinstance(spec, Mapping) and spec.get("type") == "namespace" and is_list(spec.get("tools")):
            for member_index, member in enumerate(spec["tools"]):
                item = load_request_tool(member, f"tools[{index}].tools[{member_index}]")
                if isinstance(item, ToolItem):
                    found.append(Searchable(replace(item, name=f"{spec.get('name')}{NAMESPACE_SEPARATOR}{item.name}",
                                                    group=str(spec.get("name"))), _loaded(member), spec))
            continue
        item = load_request_tool(spec, f"tools[{index}]")
        if isinstance(item, ToolItem):
            found.append(Searchable(item, _loaded(spec)))
    return found


def _loaded(spec: Any) -> dict[str, Any]:
    """A definition as a search returns it: no longer deferred."""
    return {key: value for key, value in dict(spec).items() if key != "defer_loading"}


def _is_deferred(spec: Any) -> bool:
    if not isinstance(spec, Mapping):
        return False
    if spec.get("defer_loading") is True:
        return True
    members = spec.get("tools") if spec.get("type") == "namespace" else None
    return is_list(members) and bool(members) and all(
        isinstance(member, Mapping) and member.get("defer_loading") is True for member in members)


def search_definitions(query: str, tools: Iterable[Any], router: Router, k: int = SEARCH_K,
                       exclude: Collection[str] = ()) -> list[dict[str, Any]]:
    """The definitions of the function tools among ``tools`` that best match ``query``, best first.

    ``exclude`` names tools the model already has (namespace members as ``namespace__name``).

    A namespace member comes back inside its namespace (``{"type": "namespace", "name", "description",
    "tools": [the matching members]}``), one entry per namespace at the rank of its best member.

    Raises:
        QueryError: ``query`` has nothing to route on.
    """
    check_k(k)
    candidates = [entry for entry in searchable_tools(tools) if entry.item.name not in exclude]
    by_name = {entry.item.name: entry for entry in candidates}
    # A namespace is the group of its members, described as the request describes it.
    groups = {str(e.namespace.get("name")): str(e.namespace.get("description") or "")
              for e in candidates if e.namespace is not None}
    names = select_tool_names([entry.item for entry in candidates], query, router, k, group_descriptions=groups)
    definitions: list[dict[str, Any]] = []
    namespaces: dict[str, dict[str, Any]] = {}
    for name in names:
        entry = by_name[name]
        if entry.namespace is None:
            definitions.append(entry.definition)
            continue
        label = str(entry.namespace.get("name"))
        if label not in namespaces:
            namespaces[label] = {"type": "namespace", "name": label,
                                 "description": entry.namespace.get("description", ""), "tools": []}
            definitions.append(namespaces[label])
        namespaces[label]["tools"].append(entry.definition)
    return definitions


def answer_tool_search(call: Any, tools: Iterable[Any], router: Router | None = None,
                       k: int = SEARCH_K, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The ``tool_search_output`` input item answering a client-executed ``tool_search_call``.

    Args:
        call: The ``tool_search_call`` output item (the SDK's object or a dict).
        tools: The tools a search may load: the full ``tools`` the caller gave (deferred ones included).
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Most tools loaded. Defaults to ``SEARCH_K``.
        exclude: Names of tools the model already has, never returned (namespace members as
            ``namespace__name``; :func:`visible_functions` lists a request's). Defaults to ().

    Returns:
        ``{"type": "tool_search_output", "call_id", "execution": "client", "status": "completed",
        "tools": [...]}``; ``tools`` is empty when the call has no usable ``query``.

    Raises:
        ValueError: ``call`` is not a ``tool_search_call`` item.
    """
    item = as_dict(call)
    if not isinstance(item, Mapping) or item.get("type") != "tool_search_call":
        raise ValueError(f"answer_tool_search needs a tool_search_call item, got {item!r:.200}")
    arguments = item.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            arguments = None
    query = arguments.get("query") if isinstance(arguments, Mapping) else None
    found = []
    if isinstance(query, str) and query.strip():
        found = search_definitions(query, tools, router if router is not None else Router(), k, exclude)
    return {"type": "tool_search_output", "call_id": item.get("call_id"), "execution": "client",
            "status": "completed", "tools": found}


def defer_request(body: Mapping[str, Any], router: Router, k: int) -> RoutedRequest:
    """Route a Responses request for client tool search (see the module docstring).

    Tools marked ``defer_loading`` are held back; the others are routed as
    :func:`~toolrouter.proxy.routing.route_request` routes them (forced and already-called tools
    kept, hosted tools untouched); what routing leaves out is held back too. When anything is held
    back, a client ``tool_search`` tool is added (unless the request has a ``tool_search`` tool).
    """
    tools = list(body["tools"]) if is_list(body.get("tools")) else []
    direct = [spec for spec in tools if not _is_deferred(spec)]
    routed = route_request({**body, "tools": direct}, "responses", router, k)
    sent = list(routed.body.get("tools") or [])
    held_back = len(sent) < len(tools)
    has_search = any(isinstance(spec, Mapping) and spec.get("type") == "tool_search" for spec in tools)
    if not held_back or has_search:
        changed = held_back
        return replace(routed, body={**routed.body, "tools": sent} if changed else body, changed=changed,
                       tools_in=len(tools))
    sent.append(client_search_tool())
    return replace(routed, body={**routed.body, "tools": sent}, changed=True, tools_in=len(tools),
                   tools=(*routed.tools, "tool_search"), tools_out=len(sent))


def visible_functions(body: Mapping[str, Any]) -> set[str]:
    """Function names the model of ``body`` may call: its non-deferred tools, namespace members
    as ``namespace__name``, and the tools loaded by ``tool_search_output`` items in its input."""
    names = {entry.item.name for entry in searchable_tools(
        spec for spec in (body.get("tools") or []) if not _is_deferred(spec))}
    for item in body.get("input") or [] if is_list(body.get("input")) else []:
        entry = as_dict(item)
        if isinstance(entry, Mapping) and entry.get("type") == "tool_search_output":
            names |= {loaded.item.name for loaded in searchable_tools(entry.get("tools") or [])}
    return names


def continuation(request: Mapping[str, Any], response: Mapping[str, Any], tools: Sequence[Any], router: Router,
                 k: int = SEARCH_K, allow_hidden: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The request that continues ``response`` after answering what the caller need not see.

    Answers the response's client ``tool_search_call`` items (:func:`answer_tool_search`) and, unless
    ``allow_hidden``, refuses its calls of hidden tools (tools in ``tools`` the model was not shown)
    with a ``function_call_output`` error. Returns None when there is nothing to answer, or when the
    response also calls a visible tool (that call is the caller's to run; the caller then answers
    the search with :func:`answer_tool_search` itself).

    Args:
        request: The body sent upstream (routed).
        response: The upstream's response, as JSON.
        tools: The caller's full ``tools``.
        router: Answers the searches.
        k: Most tools one search loads. Defaults to ``SEARCH_K``.
        allow_hidden: Pass calls of hidden tools through to the caller. Defaults to False.

    Returns:
        ``(next request, [the answers])``, or None. The next request chains on the response with
        ``previous_response_id`` (the answers as its ``input``), or, with ``store: false``, replays
        the conversation: its input, the response's output items, then the answers.
    """
    output = [as_dict(item) for item in response.get("output") or []]
    searches = [item for item in output if item.get("type") == "tool_search_call" and item.get("execution") == "client"]
    calls = [item for item in output if item.get("type") == "function_call"]
    hidden: list[dict[str, Any]] = []
    visible = visible_functions(request)
    if calls:
        known = {entry.item.name for entry in searchable_tools(tools)}
        for call in calls:
            name = _call_name(call)
            if name in visible or name not in known or allow_hidden:
                return None  # the caller runs this call (an unknown name is the caller's to report)
            hidden.append(call)
    if not searches and not hidden:
        return None
    answers = [answer_tool_search(search, tools, router, k, visible) for search in searches]
    searchable = any(isinstance(spec, Mapping) and spec.get("type") == "tool_search"
                     for spec in request.get("tools") or [])
    answers += [{"type": "function_call_output", "call_id": call.get("call_id"),
                 "output": hidden_call_error(_call_name(call), searchable)} for call in hidden]
    if request.get("store") is not False and isinstance(response.get("id"), str):
        # The upstream keeps the conversation: chain on the response, as a stateful client would.
        return {**request, "previous_response_id": response["id"], "input": answers}, answers
    previous = request.get("input")
    history = [{"role": "user", "content": previous}] if isinstance(previous, str) else list(previous or [])
    replay = [{key: value for key, value in item.items() if value is not None} for item in output]
    return {**request, "input": [*history, *replay, *answers]}, answers


def hidden_call_error(name: str, searchable: bool) -> str:
    """The tool output refusing a call of a tool the model was not shown (JSON, for the model to read)."""
    advice = ("search for the capability you need with the tool_search tool" if searchable
              else "use one of the tools you were given")
    return json.dumps({"error": f"tool {name!r} is not available in this request; {advice}"})


def chat_continuation(request: Mapping[str, Any], response: Mapping[str, Any], tools: Sequence[Any],
                      allow_hidden: bool = False) -> dict[str, Any] | None:
    """The Chat Completions request that continues ``response`` after refusing its calls of hidden tools.

    A tool the request had but routing did not send, called anyway, gets a ``tool`` message with an
    error and the model is asked again. Returns None when ``allow_hidden``, when the answer has no
    tool calls or more than one choice, or when any call is the caller's (a tool it was shown, or a
    name it never had).

    Args:
        request: The body sent upstream (routed).
        response: The upstream's answer, as JSON.
        tools: The caller's full ``tools``.
        allow_hidden: Pass calls of hidden tools through. Defaults to False.
    """
    choices = response.get("choices") or []
    message = as_dict(choices[0].get("message")) if len(choices) == 1 and isinstance(choices[0], Mapping) else None
    calls = message.get("tool_calls") if isinstance(message, Mapping) else None
    if allow_hidden or not calls:
        return None
    sent = {_chat_tool_name(spec) for spec in request.get("tools") or []}
    known = {_chat_tool_name(spec) for spec in tools}
    names = [str((call.get("function") or {}).get("name")) for call in calls]
    if any(name in sent or name not in known for name in names):
        return None
    refusals = [{"role": "tool", "tool_call_id": call.get("id"), "content": hidden_call_error(name, False)}
                for call, name in zip(calls, names)]
    assistant = {key: value for key, value in message.items() if value is not None}
    return {**request, "messages": [*(request.get("messages") or []), assistant, *refusals]}


def _chat_tool_name(spec: Any) -> str | None:
    function = spec.get("function") if isinstance(spec, Mapping) else None
    return function.get("name") if isinstance(function, Mapping) else None


def _call_name(call: Mapping[str, Any]) -> str:
    namespace = call.get("namespace")
    return f"{namespace}{NAMESPACE_SEPARATOR}{call.get('name')}" if namespace else str(call.get("name"))


def as_dict(item: Any) -> Any:
    """An SDK model as its JSON dict (``model_dump``), anything else as it is."""
    dump = getattr(item, "model_dump", None)
    return dump(mode="json", by_alias=True, exclude_none=True) if callable(dump) else item
