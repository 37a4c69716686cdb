"""The OpenAI-compatible tool-routing proxy and the routing it shares with :mod:`toolrouter.openai`.

:func:`route_request` is pure (request body in, routed body out) and needs no web stack;
:func:`create_app` needs the ``proxy`` extra (FastAPI, uvicorn) and is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolrouter.proxy.routing import DEFAULT_K, MAX_UPSTREAM_TOOLS, RoutedRequest, route_request

if TYPE_CHECKING:
    from toolrouter.proxy.app import create_app

__all__ = ["DEFAULT_K", "MAX_UPSTREAM_TOOLS", "RoutedRequest", "create_app", "route_request"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from toolrouter.proxy.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
