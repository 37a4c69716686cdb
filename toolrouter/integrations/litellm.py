"""LiteLLM proxy: a pre-call hook that routes each request's ``tools`` before it goes upstream.

Put an instance in a module next to the proxy's ``config.yaml`` and register it as a callback::

    # toolrouter_hook.py
    from toolrouter.integrations.litellm import ToolrouterHook
    proxy_handler_instance = ToolrouterHook(k=8)

    # config.yaml
    litellm_settings:
      callbacks: toolrouter_hook.proxy_handler_instance

Routing is toolrouter's own proxy routing (:func:`toolrouter.proxy.route_request`), so the rules
are the same: the query is the latest user intent, tools forced by ``tool_choice`` or already
called are kept, non-function tools pass untouched, and a failure forwards the request unchanged.
Needs the ``litellm`` extra.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, get_args

from toolrouter.errors import MissingDependencyError
from toolrouter.integrations._common import check_positive
from toolrouter.proxy import DEFAULT_K, route_request
from toolrouter.proxy.routing import Api, Mode
from toolrouter.router import Router

try:
    from litellm.integrations.custom_logger import CustomLogger
except ImportError as exc:
    raise MissingDependencyError("litellm", "litellm") from exc

if TYPE_CHECKING:
    from litellm.caching.dual_cache import DualCache
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.types.utils import CallTypesLiteral

__all__ = ["CALL_APIS", "ToolrouterHook"]

# LiteLLM call types whose request bodies are routed, and the OpenAI API each body follows.
CALL_APIS: dict[str, Api] = {"completion": "chat", "acompletion": "chat", "responses": "responses",
                             "aresponses": "responses"}


class ToolrouterHook(CustomLogger):
    """LiteLLM proxy callback: narrows a request's ``tools`` to those its conversation needs.

    Chat Completions (``messages``) and Responses (``input``) requests are routed; other call
    types (embeddings, images ...) pass unchanged.

    Args:
        router: Supplies the reranker and selection settings (threshold, first stage); the
            request's own tools are scored, not the router's registry. Defaults to ``Router()``.
        k: Ranked function tools kept per request. Defaults to ``toolrouter.proxy.DEFAULT_K`` (8).
        mode: ``"filter"`` drops the other tool definitions; ``"allowed_tools"`` keeps them all
            (the upstream prompt cache stays valid) and restricts the model through ``tool_choice``.
            Defaults to "filter".

    Raises:
        ValueError: ``k`` is not a positive integer or ``mode`` is not one of the modes.
    """

    def __init__(self, router: Router | None = None, *, k: int = DEFAULT_K, mode: Mode = "filter") -> None:
        super().__init__()
        check_positive("k", k)
        if mode not in get_args(Mode):
            raise ValueError(f"mode must be one of {', '.join(map(repr, get_args(Mode)))}, got {mode!r}")
        self.router = router if router is not None else Router()
        self.k = k
        self.mode = mode

    async def async_pre_call_hook(self, user_api_key_dict: UserAPIKeyAuth, cache: DualCache, data: dict,
                                  call_type: CallTypesLiteral) -> dict:
        """The request body to forward: ``data`` with its tools routed (``data`` itself when unchanged).

        Scoring runs in a worker thread, so the proxy's event loop keeps serving other requests.
        """
        api = CALL_APIS.get(call_type)
        if api is None:
            return data
        routed = await asyncio.to_thread(route_request, data, api, self.router, self.k, self.mode)
        return dict(routed.body) if routed.changed else data
