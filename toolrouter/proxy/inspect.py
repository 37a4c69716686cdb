"""The proxy's inspector: what routing did to the most recent requests, and a ranking playground.

``GET /inspect`` serves one self-contained HTML page (``static/inspect.html``: inline CSS and
JavaScript, nothing fetched from elsewhere) that reads these JSON endpoints:

* ``GET /inspect/requests``: the recorded requests, newest first, each with its forwarded tools
  (score and reason) and the best dropped ones, plus the ring's settings and the proxy's registry size;
* ``GET /inspect/requests/{id}``: one request with its full ranking;
* ``POST /inspect/rank``: ``{"query", "k", "kind", "request"}`` ranked over the proxy router's
  registry, or over the tools of recorded request ``request``.

Requests are kept in a bounded in-memory ring (:class:`Inspector`): a record holds the routing
query, counts, timing and the ranked tools (shared with routing's tool cache), never the messages,
headers or keys. With ``redact`` the query text is replaced by :data:`REDACTED` and errors keep
only their type. Recording runs after routing and swallows its own failures, so it can never fail
a request. With a proxy key, the JSON endpoints need it like any other endpoint; the page itself
holds no data and reads the key from the URL fragment (``/inspect#key=KEY``, never sent to the
server or logged) or asks for it.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, cast

import anyio

from toolrouter.conversation import routing_query
from toolrouter.errors import ProxyError
from toolrouter.proxy.routing import (
    MAX_UPSTREAM_TOOLS,
    MESSAGE_FIELDS,
    Api,
    RankedTool,
    RoutedRequest,
    check_k,
    explain_tools,
)
from toolrouter.registry import ToolItem
from toolrouter.registry.items import ItemKind
from toolrouter.router import MAX_QUERY_CHARS, Explanation, QueryError, Router

try:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import HTMLResponse, Response
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    from toolrouter.errors import MissingDependencyError

    raise MissingDependencyError("fastapi", "proxy") from exc

if TYPE_CHECKING:
    from toolrouter.proxy.app import Proxy

logger = logging.getLogger("toolrouter.proxy")

# Requests the inspector keeps by default (the oldest is dropped first); 0 turns it off.
DEFAULT_INSPECT_SIZE = 200
# Dropped tools listed per request in the summary (the detail lists them all).
DROPPED_SHOWN = 5
# What replaces request text when the inspector redacts.
REDACTED = "[redacted]"
# Characters of a model name kept in a record.
MAX_MODEL_CHARS = 200
# Largest k the playground ranks for.
MAX_PLAYGROUND_K = MAX_UPSTREAM_TOOLS
# Playground item kinds, as Router.explain names them.
KINDS = ("tool", "table")
# Headers of every inspector answer: nothing cached; the page may only talk to this proxy.
NO_STORE = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
PAGE_HEADERS = {**NO_STORE, "referrer-policy": "no-referrer", "content-security-policy": (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")}


@dataclass(frozen=True)
class Record:
    """One routed request as the inspector keeps it.

    Attributes:
        id: Increasing number, unique while the proxy runs.
        time: When it was routed (seconds since the epoch).
        api: ``"chat"`` or ``"responses"``.
        model: The request's ``model`` field (cut to :data:`MAX_MODEL_CHARS`), or None.
        query: The text routed on, or :data:`REDACTED`; empty when the request had no user text.
        k: Ranked tools the proxy keeps.
        mode: The proxy's mode.
        tools_in: Tool definitions in the request.
        tools_out: Tools the model may use after routing.
        seconds: Time spent routing.
        error: Why routing failed open, or None.
        ranked: Whether the reranker ranked the tools (else they went as they came).
        ranking: Every tool with its score and reason (see :class:`~toolrouter.proxy.routing.RankedTool`).
    """

    id: int
    time: float
    api: Api
    model: str | None
    query: str
    k: int
    mode: str
    tools_in: int
    tools_out: int
    seconds: float
    error: str | None
    ranked: bool
    ranking: tuple[RankedTool, ...]


class Inspector:
    """A bounded, thread-safe ring of the most recent :class:`Record`.

    Args:
        size: Requests kept (the oldest is dropped first). Defaults to ``DEFAULT_INSPECT_SIZE``.
        redact: Replace the query text with :data:`REDACTED` and keep only errors' type. Defaults to False.

    Raises:
        ValueError: ``size`` is not a positive integer.
    """

    def __init__(self, size: int = DEFAULT_INSPECT_SIZE, redact: bool = False) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"inspect size must be a positive integer, got {size!r}")
        self.size = size
        self.redact = redact
        self._records: deque[Record] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._next_id = 1

    def record(self, api: Api, body: Mapping[str, Any], routed: RoutedRequest, k: int, mode: str) -> None:
        """Keep what routing did to ``body``; never raises (a failure is logged and the record skipped)."""
        try:
            record = self._build(api, body, routed, k, mode)
            with self._lock:
                self._records.append(replace(record, id=self._next_id))
                self._next_id += 1
        except Exception as exc:  # the inspector must never fail a proxied request
            logger.warning("inspector: request not recorded: %s", type(exc).__name__)

    def _build(self, api: Api, body: Mapping[str, Any], routed: RoutedRequest, k: int, mode: str) -> Record:
        query = routed.query or _query_of(body, api)
        if self.redact and query:
            query = REDACTED
        elif len(query) > MAX_QUERY_CHARS:
            query = query[:MAX_QUERY_CHARS] + "…"
        error = routed.error
        if error is not None and self.redact:
            error = error.split(":", 1)[0]
        model = body.get("model")
        return Record(0, time.time(), api, model[:MAX_MODEL_CHARS] if isinstance(model, str) else None, query, k,
                      mode, routed.tools_in, routed.tools_out, routed.seconds, error, routed.changed, routed.ranking)

    def recent(self) -> list[Record]:
        """The kept records, newest first."""
        with self._lock:
            return list(reversed(self._records))

    def get(self, record_id: int) -> Record | None:
        """The record numbered ``record_id``, or None when it was never kept or has been dropped."""
        with self._lock:
            return next((record for record in self._records if record.id == record_id), None)


def _query_of(body: Mapping[str, Any], api: Api) -> str:
    """The routing query of a request routing did not rank (best effort: "" when unreadable)."""
    try:
        return routing_query(body.get(MESSAGE_FIELDS[api]))
    except Exception:
        return ""


# JSON
def score_json(score: float | None) -> float | None:
    """A score rounded for display; None for unscored (or non-finite) ones."""
    return None if score is None or not math.isfinite(score) else round(score, 4)


def tool_json(tool: RankedTool) -> dict[str, Any]:
    return {"name": tool.name, "score": score_json(tool.score), "reason": tool.reason, "kept": tool.kept}


def summary_json(record: Record) -> dict[str, Any]:
    """One request for the list: forwarded tools and the best :data:`DROPPED_SHOWN` dropped ones."""
    dropped = [tool for tool in record.ranking if not tool.kept]
    return {
        "id": record.id, "time": record.time, "api": record.api, "model": record.model, "query": record.query,
        "k": record.k, "mode": record.mode, "tools_in": record.tools_in, "tools_out": record.tools_out,
        "ms": round(record.seconds * 1000, 2), "fail_open": record.error is not None, "error": record.error,
        "ranked": record.ranked,
        "forwarded": [tool_json(tool) for tool in record.ranking if tool.kept],
        "dropped": [tool_json(tool) for tool in dropped[:DROPPED_SHOWN]], "dropped_count": len(dropped),
    }


def detail_json(record: Record) -> dict[str, Any]:
    """One request with every tool: the summary plus ``ranking``."""
    return {**summary_json(record), "ranking": [tool_json(tool) for tool in record.ranking]}


def explanation_json(explanation: Explanation, source: str) -> dict[str, Any]:
    """A playground answer: the ranking, best first, each entry marked kept or not with its reason."""
    chosen = {selection.name: selection.reason for selection in explanation.selections}
    ranking = [{"rank": scored.rank, "name": scored.item.name, "score": score_json(scored.score),
                "kept": scored.item.name in chosen, "reason": chosen.get(scored.item.name, "dropped")}
               for scored in explanation.ranking]
    ranked = {scored.item.name for scored in explanation.ranking}
    ranking += [{"rank": None, "name": selection.name, "score": score_json(selection.score), "kept": True,
                 "reason": selection.reason} for selection in explanation.selections if selection.name not in ranked]
    return {"query": explanation.query, "routed_text": explanation.routed_text, "kind": explanation.kind,
            "k": explanation.k, "source": source,
            "pool": explanation.pool, "threshold": score_json(explanation.threshold), "ranking": ranking}


def json_response(data: Any, status: int = 200) -> Response:
    """JSON escaped to ASCII: lone surrogates from requests stay valid JSON, never an encoding error."""
    return Response(json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":")), status_code=status,
                    media_type="application/json", headers=NO_STORE)


# Playground
@dataclass(frozen=True)
class RankQuery:
    """A parsed ``POST /inspect/rank`` body."""

    query: str
    k: int
    kind: ItemKind
    request: int | None


def parse_rank_query(body: Mapping[str, Any], default_k: int) -> RankQuery:
    """Check a playground request: ``query`` (text), ``k`` (1 to :data:`MAX_PLAYGROUND_K`), ``kind``
    (``"tool"`` or ``"table"``) and ``request`` (a recorded request's id, or null for the registry).

    Raises:
        ProxyError: 400 naming the field at fault.
    """
    query, k, kind, request = (body.get("query"), body.get("k", default_k), body.get("kind", "tool"),
                               body.get("request"))
    if not isinstance(query, str):
        raise ProxyError("query must be a string", status=400, code="invalid_value", param="query")
    try:
        check_k(k)
    except ValueError as exc:
        raise ProxyError(str(exc), status=400, code="invalid_value", param="k") from exc
    if k > MAX_PLAYGROUND_K:
        raise ProxyError(f"k must be at most {MAX_PLAYGROUND_K}, got {k}", status=400, code="invalid_value",
                         param="k")
    if kind not in KINDS:
        raise ProxyError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}", status=400,
                         code="invalid_value", param="kind")
    if request is not None and (isinstance(request, bool) or not isinstance(request, int)):
        raise ProxyError("request must be a recorded request's id or null", status=400, code="invalid_value",
                         param="request")
    return RankQuery(query, k, cast(ItemKind, kind), request)


def rank_playground(router: Router, inspector: Inspector, asked: RankQuery) -> dict[str, Any]:
    """Rank ``asked.query`` over the router's registry or a recorded request's tools (see :func:`parse_rank_query`).

    Raises:
        ProxyError: 404 for an unknown request; 400 for tables over a request, an empty pool or an
            empty query.
    """
    try:
        if asked.request is None:
            if not any(item.kind == asked.kind for item in router.registry.values()):
                raise ProxyError(f"the proxy's registry has no {asked.kind}s: pick a recent request to rank its "
                                 "tools", status=400, code="empty_registry", param="request")
            return explanation_json(router.explain(asked.query, asked.kind, asked.k), "registry")
        record = inspector.get(asked.request)
        if record is None:
            raise ProxyError(f"request {asked.request} is not (or no longer) recorded", status=404,
                             code="not_found", param="request")
        if asked.kind != "tool":
            raise ProxyError("a request's tools are tools: rank them with kind 'tool'", status=400,
                             code="invalid_value", param="kind")
        tools = [tool.item for tool in record.ranking if isinstance(tool.item, ToolItem)]
        if not tools:
            raise ProxyError(f"request {asked.request} has no function tools to rank", status=400,
                             code="empty_registry", param="request")
        return explanation_json(explain_tools(tools, asked.query, router, asked.k), f"request {asked.request}")
    except QueryError as exc:
        raise ProxyError(str(exc), status=400, code="invalid_value", param="query") from exc


@cache
def page() -> str:
    """The inspector's HTML (package data, read once)."""
    return (files("toolrouter.proxy") / "static" / "inspect.html").read_text(encoding="utf-8")


def registry_counts(router: Router) -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for item in router.registry.values():
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


def add_routes(app: FastAPI, inspector: Inspector, proxy: Proxy) -> None:
    """Serve the page and its JSON endpoints on ``app``; the JSON needs the proxy's key when it has one."""
    from toolrouter.proxy.app import parse_json_object  # app imports this module

    guarded = [Depends(proxy.authorize)]

    @app.get("/inspect", include_in_schema=False)
    async def inspect_page() -> HTMLResponse:
        return HTMLResponse(page(), headers=PAGE_HEADERS)

    @app.get("/inspect/requests", dependencies=guarded)
    async def inspect_requests() -> Response:
        return json_response({"size": inspector.size, "redact": inspector.redact, "k": proxy.k, "mode": proxy.mode,
                              "registry": registry_counts(proxy.router),
                              "requests": [summary_json(record) for record in inspector.recent()]})

    @app.get("/inspect/requests/{record_id}", dependencies=guarded)
    async def inspect_request(record_id: str) -> Response:
        record = inspector.get(int(record_id)) if record_id.isascii() and record_id.isdigit() else None
        if record is None:
            raise ProxyError(f"request {record_id} is not (or no longer) recorded", status=404, code="not_found")
        return json_response(detail_json(record))

    @app.post("/inspect/rank", dependencies=guarded)
    async def inspect_rank(request: Request) -> Response:
        asked = parse_rank_query(parse_json_object(await proxy.read_body(request)), proxy.k)
        try:
            answer = await anyio.to_thread.run_sync(rank_playground, proxy.router, inspector, asked)
        except ProxyError:
            raise
        except Exception as exc:  # the model failed to load or score
            logger.error("inspector rank failed: %s: %s", type(exc).__name__, exc)
            raise ProxyError(f"the reranker is unavailable ({type(exc).__name__})", status=503,
                             code="reranker_unavailable") from exc
        return json_response(answer)
