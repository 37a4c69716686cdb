"""Tool routing inside an OpenAI client: the proxy's rules without the HTTP hop.

::

    from openai import OpenAI
    from toolrouter import Router
    from toolrouter.openai import wrap

    client = wrap(OpenAI(), router=Router(model="path/to/model"), k=8)
    client.chat.completions.create(model="gpt-4.1", messages=messages, tools=many_tools)  # sees 8

:func:`wrap` returns thin proxy objects around the client instance (nothing in the ``openai``
package is patched). ``chat.completions.create``/``parse`` and ``responses.create``/``parse``
route their ``tools`` (and legacy ``functions``) with :func:`toolrouter.proxy.route_request`,
streaming included; ``with_options``/``copy`` return wrapped clients; everything else is the
client's own. The ``.stream()`` helpers and ``with_raw_response`` are not routed.

With ``tool_search=True``, ``responses.create``/``parse`` use the Responses API's client-executed
tool search (:mod:`toolrouter.proxy.tool_search`): the model sees the routed tools and a
``tool_search`` tool, everything else (tools routing left out, tools marked ``defer_loading``) is
held back, and the wrapper answers the model's searches with the router and continues the response,
so the call returns once the model has what it needs. Streaming requests are routed the same way but
not continued: answer their ``tool_search_call`` items with
:func:`toolrouter.proxy.tool_search.answer_tool_search`.

Hidden tools stay hidden: when the model calls a tool of the request that routing did not send (it
saw it earlier in the conversation, or guessed the name), the wrapper answers that call with a tool
error (Chat Completions: a ``tool`` message; Responses: a ``function_call_output``) and asks the model
again, so the caller never runs a tool it did not mean to offer; ``allow_hidden=True`` returns such
calls instead. Calls of tools the model was shown, and of names the request never had, are the caller's.

:class:`Wrapped`, :func:`routed_method`, :func:`continuing_method` and :func:`rewrapping` are the
client-proxy machinery, shared with :mod:`toolrouter.anthropic`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from toolrouter.proxy.routing import DEFAULT_K, MODES, Api, Mode, check_choice, check_k, is_list, route_request
from toolrouter.proxy.tool_search import (
    MAX_CONTINUATIONS,
    as_dict,
    chat_continuation,
    continuation,
    defer_request,
)
from toolrouter.router import Router

ClientT = TypeVar("ClientT")

# Resource methods whose keyword arguments are routed.
ROUTED_METHODS = ("create", "parse")
# Client methods returning a new client, wrapped the same way.
CLIENT_FACTORIES = ("with_options", "copy")


class Wrapped:
    """Delegates every attribute to ``target`` except those given as ``overrides``."""

    def __init__(self, target: Any, **overrides: Any) -> None:
        self._target = target
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        overrides = self.__dict__.get("_overrides", {})
        return overrides[name] if name in overrides else getattr(self._target, name)

    def __repr__(self) -> str:
        return f"toolrouter wrapper of {self._target!r}"


def wrap(client: ClientT, router: Router | None = None, k: int = DEFAULT_K, mode: Mode = "filter",
         tool_search: bool = False, allow_hidden: bool = False) -> ClientT:
    """Wrap an ``openai.OpenAI`` or ``AsyncOpenAI`` client so its requests see only the routed tools.

    Args:
        client: The client instance (Azure and other subclasses work too).
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Ranked function tools kept per request. Defaults to ``DEFAULT_K``.
        mode: ``"filter"`` or ``"allowed_tools"`` (see :func:`toolrouter.proxy.route_request`).
            Defaults to "filter".
        tool_search: Responses requests hold back what routing leaves out behind a client-executed
            tool search that the wrapper answers (see the module docstring). Defaults to False.
        allow_hidden: Return calls of tools routing held back (the model saw them earlier, or guessed
            the name) to the caller instead of answering them with a tool error and asking the model
            again. Defaults to False.

    Raises:
        ValueError: An invalid ``k`` or ``mode`` (the message lists valid values), or ``tool_search``
            with ``mode="allowed_tools"``.
    """
    check_k(k)
    check_choice("mode", mode, MODES)
    if tool_search and mode != "filter":
        raise ValueError("tool_search holds tools back, so it needs mode='filter', got mode='allowed_tools'")
    router = router if router is not None else Router()
    is_async = _is_async_client(client)

    def routed(resource: Any, api: Api) -> Wrapped:
        methods = {name: continued_method(getattr(resource, name), api, router, k, mode, tool_search, allow_hidden,
                                          is_async)
                   for name in ROUTED_METHODS if hasattr(resource, name)}
        return Wrapped(resource, **methods)

    rewrap = functools.partial(wrap, router=router, k=k, mode=mode, tool_search=tool_search,
                               allow_hidden=allow_hidden)
    factories = {name: rewrapping(getattr(client, name), rewrap) for name in CLIENT_FACTORIES if hasattr(client, name)}
    chat = Wrapped(client.chat, completions=routed(client.chat.completions, "chat"))  # type: ignore[attr-defined]
    wrapped = Wrapped(client, chat=chat, responses=routed(client.responses, "responses"),  # type: ignore[attr-defined]
                      **factories)
    return wrapped  # type: ignore[return-value]


def _is_async_client(client: Any) -> bool:
    try:
        from openai import AsyncOpenAI
    except ImportError:  # pragma: no cover - a client was given, so openai is installed
        return False
    return isinstance(client, AsyncOpenAI)


def _is_omitted(value: Any) -> bool:
    """openai's ``NOT_GIVEN``/``omit`` markers, which mean the argument is absent."""
    from openai import NotGiven, Omit

    return isinstance(value, NotGiven | Omit)


def continued_method(method: Callable[..., Any], api: Api, router: Router, k: int, mode: Mode, tool_search: bool,
                     allow_hidden: bool, is_async: bool) -> Callable[..., Any]:
    """``create``/``parse`` with routed tools; then, until the answer is the caller's, the model's
    client tool searches are answered and its calls of hidden tools refused (both continue the request)."""

    def prepare(kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[Any], bool]:
        given = {name: value for name, value in kwargs.items() if not _is_omitted(value)}
        tools = list(given["tools"]) if is_list(given.get("tools")) else []
        if api == "responses" and tool_search:
            routed = defer_request(given, router, k)
        else:
            routed = route_request(given, api, router, k, mode)
        return ({**kwargs, **routed.body} if routed.changed else kwargs), tools, routed.changed

    def following(body: dict[str, Any], response: Any, tools: list[Any]) -> dict[str, Any] | None:
        if body.get("stream") is True:
            return None
        given = {name: value for name, value in body.items() if not _is_omitted(value)}
        if api == "chat":
            return chat_continuation(given, as_dict(response), tools, allow_hidden)
        step = continuation(given, as_dict(response), tools, router, allow_hidden=allow_hidden)
        return None if step is None else step[0]

    return continuing_method(method, prepare, following, is_async)


def continuing_method(method: Callable[..., Any], prepare: Callable[[dict[str, Any]], tuple[dict[str, Any], Any, bool]],
                      follow: Callable[[dict[str, Any], Any, Any], dict[str, Any] | None],
                      is_async: bool) -> Callable[..., Any]:
    """``method`` called with the keyword arguments ``prepare`` makes, then again with each request
    ``follow`` makes from the last response (at most ``MAX_CONTINUATIONS`` times) until it makes none.

    Args:
        method: A client resource's method (``create`` ...).
        prepare: Keyword arguments in; (the arguments to call with, state for ``follow``, whether to
            follow at all) out. Runs in a worker thread for async clients (routing is CPU-bound).
        follow: (arguments sent, response, state) in; the next arguments, or None to return the response.
        is_async: Whether ``method`` is a coroutine function.
    """
    if is_async:
        @functools.wraps(method)
        async def continued_async(*args: Any, **kwargs: Any) -> Any:
            import anyio

            body, state, follows = await anyio.to_thread.run_sync(prepare, kwargs)
            response = await method(*args, **body)
            for _ in range(MAX_CONTINUATIONS if follows else 0):
                body = await anyio.to_thread.run_sync(follow, body, response, state)
                if body is None:
                    break
                response = await method(*args, **body)
            return response

        return continued_async

    @functools.wraps(method)
    def continued_sync(*args: Any, **kwargs: Any) -> Any:
        body, state, follows = prepare(kwargs)
        response = method(*args, **body)
        for _ in range(MAX_CONTINUATIONS if follows else 0):
            body = follow(body, response, state)
            if body is None:
                break
            response = method(*args, **body)
        return response

    return continued_sync


def routed_method(method: Callable[..., Any], route: Callable[[dict[str, Any]], dict[str, Any]],
                  is_async: bool) -> Callable[..., Any]:
    """``method`` called with its keyword arguments passed through ``route`` first.

    Args:
        method: A client resource's method (``create`` ...).
        route: Keyword arguments in, the (maybe routed) keyword arguments to call ``method`` with out.
        is_async: Whether ``method`` is a coroutine function; ``route`` then runs in a worker thread,
            because scoring is CPU-bound and must not block the event loop.
    """
    if is_async:
        @functools.wraps(method)
        async def routed_async(*args: Any, **kwargs: Any) -> Any:
            import anyio

            return await method(*args, **await anyio.to_thread.run_sync(route, kwargs))

        return routed_async

    @functools.wraps(method)
    def routed_sync(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **route(kwargs))

    return routed_sync


def rewrapping(factory: Callable[..., Any], rewrap: Callable[[Any], Any]) -> Callable[..., Any]:
    """``factory`` (``with_options``, ``copy``) whose new client is passed through ``rewrap``."""
    @functools.wraps(factory)
    def wrapped_factory(*args: Any, **kwargs: Any) -> Any:
        return rewrap(factory(*args, **kwargs))

    return wrapped_factory
