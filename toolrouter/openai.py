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

:class:`Wrapped`, :func:`routed_method` and :func:`rewrapping` are the client-proxy machinery, shared with
:mod:`toolrouter.anthropic`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from toolrouter.proxy.routing import DEFAULT_K, MODES, Api, Mode, check_choice, check_k, route_request
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


def wrap(client: ClientT, router: Router | None = None, k: int = DEFAULT_K, mode: Mode = "filter") -> ClientT:
    """Wrap an ``openai.OpenAI`` or ``AsyncOpenAI`` client so its requests see only the routed tools.

    Args:
        client: The client instance (Azure and other subclasses work too).
        router: Supplies the reranker and selection settings. Defaults to ``Router()`` (the bundled model).
        k: Ranked function tools kept per request. Defaults to ``DEFAULT_K``.
        mode: ``"filter"`` or ``"allowed_tools"`` (see :func:`toolrouter.proxy.route_request`).
            Defaults to "filter".

    Raises:
        ValueError: An invalid ``k`` or ``mode`` (the message lists valid values).
    """
    check_k(k)
    check_choice("mode", mode, MODES)
    router = router if router is not None else Router()
    is_async = _is_async_client(client)

    def routed(resource: Any, api: Api) -> Wrapped:
        route = functools.partial(_route_kwargs, api=api, router=router, k=k, mode=mode)
        methods = {name: routed_method(getattr(resource, name), route, is_async)
                   for name in ROUTED_METHODS if hasattr(resource, name)}
        return Wrapped(resource, **methods)

    rewrap = functools.partial(wrap, router=router, k=k, mode=mode)
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


def _route_kwargs(kwargs: dict[str, Any], api: Api, router: Router, k: int, mode: Mode) -> dict[str, Any]:
    """The keyword arguments with routed tools; the openai client's omitted-value markers are dropped."""
    given = {name: value for name, value in kwargs.items() if not _is_omitted(value)}
    routed = route_request(given, api, router, k, mode)
    return {**kwargs, **routed.body} if routed.changed else kwargs


def _is_omitted(value: Any) -> bool:
    """openai's ``NOT_GIVEN``/``omit`` markers, which mean the argument is absent."""
    from openai import NotGiven, Omit

    return isinstance(value, NotGiven | Omit)


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
